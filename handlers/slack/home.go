package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/handlers/internal/textcut"
	"github.com/supportbot/supportbot/handlers/internal/workq"
)

// homeOpened is the part of an app_home_opened event the adapter reads.
type homeOpened struct {
	Type    string `json:"type"`
	User    string `json:"user"`
	Channel string `json:"channel"` // the user's direct message with the bot
	Tab     string `json:"tab"`     // "home" or "messages"
}

// homeOpenedRaw decodes an Events API inner event that may be
// app_home_opened.
func homeOpenedRaw(raw json.RawMessage) (homeOpened, bool) {
	var e homeOpened
	if json.Unmarshal(raw, &e) != nil || e.Type != string(slackevents.AppHomeOpened) {
		return homeOpened{}, false
	}
	return e, true
}

// takeHome queues publishing the Home tab for a user who opened it. An
// error means it was not taken and should be retried.
func (a *Adapter) takeHome(e homeOpened) error {
	if e.Tab != "home" || e.User == "" {
		return nil // the Messages tab is the direct message itself
	}
	// Publishing is idempotent: a retried event needs no deduplication.
	if !a.pool.Add(workq.Job{Name: "home tab", Run: func(ctx context.Context) error { return a.publishHome(ctx, e.User, e.Channel) }}) {
		a.pool.Refused("queue full, asking Slack to retry the Home tab")
		return errors.New("queue full")
	}
	return nil
}

// publishHome publishes the Home tab: what the bot answers and how to use
// /checknum, in the language of the user's direct messages with the bot,
// or in Chinese and English when the bot does not remember them.
func (a *Adapter) publishHome(ctx context.Context, user, channel string) error {
	var bs []goslack.Block
	switch lang := a.bot.ConversationLang(ctx, bot.Message{Channel: "slack", User: user, Thread: channel + ":"}); lang {
	case "":
		bs = append(homeBlocks(a.bot.Home("zh")), goslack.NewDividerBlock())
		bs = append(bs, homeBlocks(a.bot.Home("en"))...)
	default:
		bs = homeBlocks(a.bot.Home(lang))
	}
	view := goslack.HomeTabViewRequest{Type: goslack.VTHomeTab, Blocks: goslack.Blocks{BlockSet: bs}}
	if _, err := a.api.PublishViewContext(ctx, goslack.PublishViewContextRequest{UserID: user, View: view}); err != nil {
		return fmt.Errorf("publish the Home tab of %s: %w", user, err)
	}
	return nil
}

// homeBlocks renders the Home page: its title as a header, the rest as
// sections.
func homeBlocks(r bot.Reply) []goslack.Block {
	title := textcut.Truncate(r.Title, 150) // Slack's limit on a header
	r.Title = ""
	return append([]goslack.Block{goslack.NewHeaderBlock(goslack.NewTextBlockObject(goslack.PlainTextType, title, true, false))},
		blocks(r, nil)...)
}
