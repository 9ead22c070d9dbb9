package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/joho/godotenv"
)

// Config is every setting supportbot reads from the environment. Each one is
// documented in .env.example.
type Config struct {
	ListenAddr string // LISTEN_ADDR
	KBDir      string // KB_DIR: knowledge files to use instead of the embedded ones
	LogLevel   string // LOG_LEVEL: debug, info, warn or error
}

// loadConfig reads and checks the configuration. Nothing else in the
// program reads the environment.
func loadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		ListenAddr: getenv("LISTEN_ADDR"),
		KBDir:      getenv("KB_DIR"),
		LogLevel:   strings.ToLower(getenv("LOG_LEVEL")),
	}
	if c.ListenAddr == "" {
		c.ListenAddr = ":8080"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.KBDir != "" {
		fi, err := os.Stat(c.KBDir)
		if err != nil || !fi.IsDir() {
			return c, fmt.Errorf("KB_DIR=%s is not a folder (create one with: supportbot kb export %s)", c.KBDir, c.KBDir)
		}
	}
	return c, nil
}

// envWithDotenv returns a getenv that also sees a .env file in the working
// folder; the real environment wins over the file.
func envWithDotenv(getenv func(string) string) (func(string) string, error) {
	file, err := godotenv.Read(".env")
	if os.IsNotExist(err) {
		return getenv, nil
	}
	if err != nil {
		return getenv, fmt.Errorf("read .env: %w", err)
	}
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return file[k]
	}, nil
}
