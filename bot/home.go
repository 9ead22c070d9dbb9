package bot

import (
	"context"

	"github.com/supportbot/supportbot/knowledge"
)

// Home is what the bot says of itself where a channel gives it a page of
// its own (Slack's Home tab), in lang ("en", else Chinese): a title, what
// it answers (the knowledge's home message, whose list comes from the FAQ's
// questions), and, with a prefix table, how to check a number.
func (b *Bot) Home(lang string) Reply {
	e := b.cur.Load()
	if lang != "en" {
		lang = "zh"
	}
	r := Reply{Intent: "home", Confidence: 1, Lang: lang, Title: e.kb.Message("home_title", lang),
		Blocks: []Block{{Text: knowledge.Text{{Text: e.kb.Message("home", lang)}}}}}
	if e.kb.HasTable() {
		r.Blocks = append(r.Blocks, Block{Text: knowledge.Text{{Text: e.kb.Message("home_checknum", lang)}}})
	}
	return r
}

// ConversationLang is the language of the conversation msg would continue
// (its channel, user and thread): "" when the bot does not remember one.
func (b *Bot) ConversationLang(ctx context.Context, msg Message) string {
	if b.conv == nil {
		return ""
	}
	st, err := b.conv.Load(ctx, conversationKey(msg.valid()))
	if err != nil {
		b.warn("conversation state unavailable", err)
		return ""
	}
	return st.Lang
}
