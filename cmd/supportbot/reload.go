package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/supportbot/supportbot/knowledge"
)

// watchKnowledge reloads the knowledge on SIGHUP and, with KB_DIR, when a
// file there changes. A new version is validated in full first; a broken
// edit is refused with its file:line problems and the old knowledge stays.
func (a *app) watchKnowledge(ctx context.Context, hup <-chan os.Signal, w *fsnotify.Watcher) {
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w != nil {
		events, errs = w.Events, w.Errors
	}
	// Editors write a file in several steps: wait for a quiet moment.
	var debounce <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			a.log.Info("knowledge: SIGHUP, reloading")
			a.reload()
		case ev, ok := <-events:
			if !ok {
				events = nil // the watcher was closed
				continue
			}
			if isKnowledgeFile(ev.Name) {
				debounce = time.After(300 * time.Millisecond)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			a.log.Warn("knowledge: watcher", "err", err)
		case <-debounce:
			debounce = nil
			a.log.Info("knowledge: files changed, reloading")
			a.reload()
		}
	}
}

// watchKBDir starts watching KB_DIR; nil when there is none or it cannot
// be watched (SIGHUP still reloads).
func (a *app) watchKBDir() *fsnotify.Watcher {
	if a.cfg.KBDir == "" {
		return nil
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		a.log.Error("knowledge: cannot watch KB_DIR; reload with SIGHUP", "err", err)
		return nil
	}
	if err := w.Add(a.cfg.KBDir); err != nil {
		a.log.Error("knowledge: cannot watch KB_DIR; reload with SIGHUP", "dir", a.cfg.KBDir, "err", err)
		w.Close()
		return nil
	}
	return w
}

func isKnowledgeFile(path string) bool { return knowledge.IsKnowledgeFile(path) }

// vanished refuses a reload in which files that KB_DIR held are gone and
// the built-in ones would take their place: every FAQ file deleted or
// moved away, or intents.yaml. That is a mistake far more often than a
// wish for the built-in knowledge, which a restart still gives.
func vanished(old, next *knowledge.KB) error {
	fromDir := func(kb *knowledge.KB, faq bool) bool {
		for _, s := range kb.Sources {
			if (s.Name != knowledge.FileRules) == faq && s.From != knowledge.BuiltIn {
				return true
			}
		}
		return false
	}
	switch {
	case fromDir(old, true) && !fromDir(next, true):
		return errors.New("KB_DIR has no FAQ files (NAME.zh.md) any more; the built-in FAQ would answer instead")
	case fromDir(old, false) && !fromDir(next, false):
		return errors.New("intents.yaml is gone from KB_DIR; the built-in rules would apply instead")
	}
	return nil
}

// reload puts a new knowledge version in service, or keeps the old one.
func (a *app) reload() {
	kb, err := a.loadKnowledge()
	if err == nil {
		err = vanished(a.bot.KB(), kb)
	}
	if err == nil {
		err = a.bot.Reload(kb)
	}
	if err != nil {
		var ps knowledge.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				a.log.Error("knowledge: edit refused, the previous version stays in service", "problem", p.Error())
			}
		} else {
			a.log.Error("knowledge: edit refused, the previous version stays in service", "err", err)
		}
		a.lastReloadErr.Store(err.Error())
		if a.metrics != nil {
			a.metrics.Reloaded(false)
		}
		return
	}
	a.lastReloadErr.Store("")
	if a.metrics != nil {
		a.metrics.Reloaded(true)
	}
	a.log.Info("knowledge: reloaded", "version", kb.Version, "questions", len(kb.ZH.Entries), "prefixes", len(kb.ZH.Prefixes))
}

// prune deletes exchanges older than RETENTION, at start and daily.
func (a *app) prune(ctx context.Context) {
	for {
		n, err := a.store.Prune(ctx, a.cfg.Retention)
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Error("exchange log: prune", "err", err)
		case n > 0:
			a.log.Info("exchange log: pruned", "rows", n, "retention", a.cfg.Retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}
