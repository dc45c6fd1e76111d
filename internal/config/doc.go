// Package config is gospark's one registry of spark.* properties, in the
// manner of Spark's ConfigBuilder: every property is declared once, in
// properties.go, with its name, Kind, default, documentation, older names
// (Aliases) and an optional Validate check, and parsing, error messages and
// docs/configuration.md all come from that declaration. A Conf holds the
// values of one application: Set validates a value and returns an *Error
// naming the property and what it accepts (an unknown spark.* name is an
// error with a "did you mean" hint; other names are ignored with a warning);
// the typed getters (String, Bool, Int, Bytes, Duration, Float) return the
// value or the default and panic on names that are not registered, which
// TestUsedPropertiesRegistered catches before anything ships. gospark submit
// resolves the configuration and hands it to the application in the
// GOSPARK_CONF environment variable (Encode, FromEnv). To add a property,
// add an entry to properties.go and run
// "go run ./internal/config/gendocs > docs/configuration.md".
package config
