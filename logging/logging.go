// Package logging builds Lazarus's zap loggers and bridges them into the
// Temporal SDK's logger, so that workers, activities and the CLI log the same
// structured fields (batch, site, step).
//
// It must never decide what to log: callers add their own fields.
package logging

import (
	"fmt"
	"os"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Structured field names used across Lazarus.
const (
	FieldBatch = "batch"
	FieldSite  = "site"
	FieldStep  = "step"
)

// New returns a zap logger at the given level ("debug", "info", "warn",
// "error"), JSON when json is true, console otherwise, writing to stderr.
func New(level string, json bool) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	cfg := zap.NewProductionEncoderConfig()
	cfg.EncodeTime = zapcore.ISO8601TimeEncoder
	enc := zapcore.NewConsoleEncoder(cfg)
	if json {
		enc = zapcore.NewJSONEncoder(cfg)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(os.Stderr), lvl)
	return zap.New(core), nil
}

// TemporalLogger adapts a zap logger to the Temporal SDK's log.Logger.
type TemporalLogger struct {
	zl *zap.Logger
}

var _ log.Logger = (*TemporalLogger)(nil)
var _ log.WithLogger = (*TemporalLogger)(nil)

// NewTemporalLogger bridges zl into the SDK.
func NewTemporalLogger(zl *zap.Logger) *TemporalLogger {
	return &TemporalLogger{zl: zl.WithOptions(zap.AddCallerSkip(1))}
}

func (l *TemporalLogger) fields(keyvals []interface{}) []zap.Field {
	if len(keyvals)%2 != 0 {
		return []zap.Field{zap.Error(fmt.Errorf("odd number of keyvals pairs: %v", keyvals))}
	}
	fields := make([]zap.Field, 0, len(keyvals)/2)
	for i := 0; i < len(keyvals); i += 2 {
		key, ok := keyvals[i].(string)
		if !ok {
			key = fmt.Sprintf("%v", keyvals[i])
		}
		fields = append(fields, zap.Any(key, keyvals[i+1]))
	}
	return fields
}

func (l *TemporalLogger) Debug(msg string, keyvals ...interface{}) {
	l.zl.Debug(msg, l.fields(keyvals)...)
}

func (l *TemporalLogger) Info(msg string, keyvals ...interface{}) {
	l.zl.Info(msg, l.fields(keyvals)...)
}

func (l *TemporalLogger) Warn(msg string, keyvals ...interface{}) {
	l.zl.Warn(msg, l.fields(keyvals)...)
}

func (l *TemporalLogger) Error(msg string, keyvals ...interface{}) {
	l.zl.Error(msg, l.fields(keyvals)...)
}

// With returns a logger with the key/value pairs added to every line.
func (l *TemporalLogger) With(keyvals ...interface{}) log.Logger {
	return &TemporalLogger{zl: l.zl.With(l.fields(keyvals)...)}
}
