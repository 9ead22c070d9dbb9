package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	goslack "github.com/slack-go/slack"
	"github.com/supportbot/supportbot/bot"
)

// commandResponse is the immediate answer to a slash command.
type commandResponse struct {
	ResponseType string          `json:"response_type"` // "ephemeral" or "in_channel"
	Text         string          `json:"text"`
	Blocks       []goslack.Block `json:"blocks,omitempty"`
}

const commandUsage = "Usage:\n" +
	"• `/checknum 13812345678` (or a 3-digit prefix such as `/checknum 192`): can this number receive MIIT SMS?\n" +
	"• `/faq 收不到管局短信`: preview the bot's answer to a question, with a button to post it to the channel."

func (a *Adapter) handleCommand(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	cmd, err := parseCommand(string(body))
	if err != nil {
		a.log.Warn("slack: malformed slash command", "err", err)
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	writeJSON(w, a.command(r.Context(), cmd))
}

// parseCommand reads a slash command's form body into the fields
// goslack.SlashCommandParse fills, first value of each, in one pass over
// the verified body.
func parseCommand(body string) (goslack.SlashCommand, error) {
	var c goslack.SlashCommand
	seen := 0 // fields set: a repeated field keeps its first value
	for body != "" {
		var pair string
		pair, body, _ = strings.Cut(body, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return c, err
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return c, err
		}
		i := slices.Index(commandFields, key)
		if i < 0 || seen&(1<<i) != 0 {
			continue
		}
		seen |= 1 << i
		switch key {
		case "token":
			c.Token = val
		case "team_id":
			c.TeamID = val
		case "team_domain":
			c.TeamDomain = val
		case "enterprise_id":
			c.EnterpriseID = val
		case "enterprise_name":
			c.EnterpriseName = val
		case "is_enterprise_install":
			c.IsEnterpriseInstall = val == "true"
		case "channel_id":
			c.ChannelID = val
		case "channel_name":
			c.ChannelName = val
		case "user_id":
			c.UserID = val
		case "user_name":
			c.UserName = val
		case "command":
			c.Command = val
		case "text":
			c.Text = val
		case "response_url":
			c.ResponseURL = val
		case "trigger_id":
			c.TriggerID = val
		case "api_app_id":
			c.APIAppID = val
		}
	}
	return c, nil
}

var commandFields = []string{"token", "team_id", "team_domain", "enterprise_id", "enterprise_name", "is_enterprise_install",
	"channel_id", "channel_name", "user_id", "user_name", "command", "text", "response_url", "trigger_id", "api_app_id"}

// command answers a slash command; it is quick (rules only), so the answer
// goes back in the response itself.
func (a *Adapter) command(ctx context.Context, cmd goslack.SlashCommand) commandResponse {
	text := strings.TrimSpace(unescape(cmd.Text))
	switch cmd.Command {
	case "/checknum":
		if text == "" {
			return ephemeral(commandUsage, nil)
		}
		reply := a.bot.CheckNumbers(ctx, "slack", cmd.UserID, text, "")
		return ephemeral(reply.PlainText(), blocks(reply, false))
	case "/resolve":
		if text == "" {
			return ephemeral("Usage: `/resolve HANDOFF_ID` (the id is on the handoff notice).", nil)
		}
		if err := a.bot.Resolve(ctx, text); err != nil {
			return ephemeral("No open handoff "+text+".", nil)
		}
		return ephemeral("Resolved: the bot answers that user again.", nil)
	case "/faq":
		if text == "" {
			return ephemeral(commandUsage, nil)
		}
		reply := a.bot.Respond(ctx, bot.Message{Channel: "slack", User: cmd.UserID, Text: text})
		bs := []goslack.Block{goslack.NewContextBlock("preview", goslack.NewTextBlockObject(goslack.MarkdownType,
			label(reply.Lang, "预览（只有你能看到）· 意图 `", "Preview (only you can see this) · intent `")+reply.Intent+"`", false, false))}
		bs = append(bs, blocks(reply, false)...)
		bs = append(bs, goslack.NewActionBlock("preview_actions",
			button(actionPost, truncate(text, 1900), label(reply.Lang, "发送到频道", "Post to channel"))))
		return ephemeral(reply.PlainText(), bs)
	}
	return ephemeral("Unknown command "+cmd.Command+".\n"+commandUsage, nil)
}

func ephemeral(text string, bs []goslack.Block) commandResponse {
	return commandResponse{ResponseType: "ephemeral", Text: text, Blocks: bs}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
