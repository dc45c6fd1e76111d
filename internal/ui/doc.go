// Package ui serves an application's status (package status) the way
// Spark's web UI does: server-rendered pages (Jobs, Stages, Storage,
// Environment, Executors, executors' logs) at Spark's paths, and Spark's
// REST API v1 under /api/v1 with its paths and JSON.
//
// The same handler serves the live driver (one application, Single) and the
// history server (History: "/" lists the applications, each application's
// pages are under /history/<appId>/). Callers mount NewHandler on their
// listener; the handler itself opens no port.
package ui
