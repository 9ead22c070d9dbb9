package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"
	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/handlers/internal/textcut"
)

// commandResponse is the immediate answer to a slash command.
type commandResponse struct {
	ResponseType string          `json:"response_type"` // "ephemeral" or "in_channel"
	Text         string          `json:"text"`
	Blocks       []goslack.Block `json:"blocks,omitempty"`
}

const commandUsage = "Usage:\n" +
	"• `/checknum 13812345678` (or a 3-digit prefix such as `/checknum 192`): check a number against the FAQ's prefix table\n" +
	"• `/faq QUESTION`: preview the bot's answer to a question, with a button to post it to the channel."

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
	if a.replayed(r.Context(), r) {
		w.WriteHeader(http.StatusOK) // taken the first time
		return
	}
	writeCommand(w, a.command(r.Context(), cmd))
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
		return ephemeral(reply.PlainText(), blocks(reply, nil))
	case "/resolve":
		if text == "" {
			return ephemeral("Usage: `/resolve HANDOFF_ID` (the id is on the handoff notice).", nil)
		}
		if !a.mayResolve(cmd.UserID, cmd.ChannelID) {
			a.log.Warn("slack: /resolve refused: not an agent", "user", cmd.UserID)
			return ephemeral("Only agents can resolve handoffs: use /resolve in the agent channel.", nil)
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
			a.bot.Text("preview_note", reply.Lang, map[string]string{"intent": reply.Intent}), false, false))}
		bs = append(bs, blocks(reply, nil)...)
		bs = append(bs, goslack.NewActionBlock("preview_actions",
			button(actionPost, textcut.Truncate(text, 1900), a.bot.Text("post_to_channel", reply.Lang, nil))))
		return ephemeral(reply.PlainText(), bs)
	}
	return ephemeral("Unknown command "+cmd.Command+".\n"+commandUsage, nil)
}

func ephemeral(text string, bs []goslack.Block) commandResponse {
	return commandResponse{ResponseType: "ephemeral", Text: text, Blocks: bs}
}

// writeCommand writes a slash command's response as JSON. A response of
// text sections only, as every /checknum verdict is, is written by
// appendJSON, without reflection; any other goes through encoding/json.
func writeCommand(w http.ResponseWriter, c commandResponse) {
	w.Header().Set("Content-Type", "application/json")
	if b, ok := c.appendJSON(nil); ok {
		w.Write(b)
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(c)
}

// appendJSON appends c as an encoding/json Encoder without HTML escaping
// writes it, byte for byte (a test holds it to that), when its blocks are
// all plain sections: a type and a text object with a type and a text.
// Otherwise it reports false.
func (c commandResponse) appendJSON(dst []byte) ([]byte, bool) {
	size := 64 + len(c.ResponseType) + len(c.Text)
	for _, b := range c.Blocks {
		s, ok := b.(*goslack.SectionBlock)
		if !ok || s == nil || s.Text == nil || s.BlockID != "" || s.Fields != nil || s.Accessory != nil || s.Expand ||
			s.Text.Emoji != nil || s.Text.Verbatim {
			return dst, false
		}
		size += 48 + len(s.Type) + len(s.Text.Type) + len(s.Text.Text)
	}
	dst = slices.Grow(dst, size)
	dst = append(dst, `{"response_type":`...)
	dst = appendJSONString(dst, c.ResponseType)
	dst = append(dst, `,"text":`...)
	dst = appendJSONString(dst, c.Text)
	if len(c.Blocks) > 0 {
		dst = append(dst, `,"blocks":[`...)
		for i, b := range c.Blocks {
			s := b.(*goslack.SectionBlock)
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"type":`...)
			dst = appendJSONString(dst, string(s.Type))
			dst = append(dst, `,"text":{"type":`...)
			dst = appendJSONString(dst, s.Text.Type)
			dst = append(dst, `,"text":`...)
			dst = appendJSONString(dst, s.Text.Text)
			dst = append(dst, "}}"...)
		}
		dst = append(dst, ']')
	}
	return append(dst, "}\n"...), true
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it without HTML escaping: quote, backslash and control
// characters; U+2028 and U+2029 (line ends to JavaScript); invalid UTF-8
// becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
