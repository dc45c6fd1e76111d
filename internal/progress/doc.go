// Package progress draws Spark's console progress bar on a terminal:
// one "[Stage 3:=====>   (12 + 4) / 50]" segment per active stage (up to
// three side by side), shown once a stage has run for 500 ms and redrawn
// at most every 200 ms, only when it changes. Render is the pure function
// from stage counts to the line; Bar adds the timing and the writes, and
// is what the driver feeds from its scheduler events, on a ticker, when
// spark.ui.showConsoleProgress is set and IsTerminal(os.Stderr) holds. The
// bar is user-facing output, not logging: it writes to its own io.Writer.
package progress
