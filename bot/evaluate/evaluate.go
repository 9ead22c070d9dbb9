// Package evaluate measures and checks the bot against labelled messages
// and the knowledge itself: an evaluation's accuracy and false answers by
// language and kind, with its confusion matrix (eval.go); conversation
// stories (stories.go); and the operators' checks of kb check: the rules'
// examples and whether every FAQ question retrieves its own entry
// (check.go).
package evaluate

import (
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/match"
	"github.com/supportbot/supportbot/knowledge"
)

// snapshot is the knowledge in service with its matcher, taken once for a
// whole evaluation, so a reload during it changes nothing.
type snapshot struct {
	kb *knowledge.KB
	m  *match.Matcher
}

func snapshotOf(b *bot.Bot) *snapshot {
	kb, m := b.Knowledge()
	return &snapshot{kb, m}
}
