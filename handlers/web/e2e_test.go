package web

import (
	"context"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdpage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

var screenshots = flag.String("screenshots", "", "folder for the screenshots of the browser test (the README's come from it)")

// chromium finds the browser; without one the test is skipped, except in
// CI, whose .ci/run installs Debian's chromium.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH; .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH (apt-get install chromium); the browser test is skipped")
	return ""
}

// TestBrowser drives the chat page and the admin console in a real
// headless Chromium: a question and its answer, feedback, a clarify
// choice, an XSS attempt that stays text, a handoff, the agent's reply
// arriving in the chat.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	exe := chromium(t)
	s := newSite(t, testToken)
	// Chromium accepts the console's Secure cookie from http://localhost.
	_, port, _ := net.SplitHostPort(s.srv.Listener.Addr().String())
	base := "http://localhost:" + port

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var dialogs atomic.Int32
	if err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*cdpage.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	do := func(c context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(c, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(c context.Context, expr string) any {
		t.Helper()
		v, err := chromedp.Run(c, chromedp.Evaluate[any](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	text := func(c context.Context, sel string) string {
		t.Helper()
		v, err := chromedp.Run(c, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	const answers = `document.querySelectorAll('li.bot[data-intent]')`
	bots := func() int { return int(eval(ctx, answers+`.length`).(float64)) }
	waitAnswers := func(n int) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](answers+`.length >= `+strconv.Itoa(n), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("wait for answer %d: %v", n, err)
		}
	}
	ask := func(q string) {
		t.Helper()
		n := bots()
		do(ctx, "ask "+q, chromedp.SendKeys(chromedp.ID("text"), q), chromedp.Click(chromedp.ID("send")))
		waitAnswers(n + 1)
	}
	lastIntent := func() string { return eval(ctx, `[...`+answers+`].pop().dataset.intent`).(string) }
	// iconButtons checks the buttons sel matches (want of them at least)
	// draw without an emoji font: an accessible name, no emoji, and an
	// inline icon and words (if any) that take up room on the screen.
	iconButtons := func(c context.Context, sel string, want int) {
		t.Helper()
		v, err := chromedp.Run(c, chromedp.Evaluate[[]string](`(() => {
			const emoji = /[\p{Extended_Pictographic}\u{FE0F}\u{20E3}]/u;
			const seen = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
			const bs = [...document.querySelectorAll(`+strconv.Quote(sel)+`)];
			const out = bs.map((b) => {
				const what = [], name = b.getAttribute('aria-label') || '';
				if (!name.trim()) what.push('no aria-label');
				if (emoji.test(b.textContent) || emoji.test(name)) what.push('emoji in ' + JSON.stringify(b.textContent + ' / ' + name));
				const svg = b.querySelector('svg'), shape = svg && svg.querySelector('path');
				if (!svg || !seen(svg) || !shape || shape.getBBox().width === 0) what.push('no icon on the screen');
				else if (getComputedStyle(shape).stroke === 'none' && getComputedStyle(shape).fill === 'none') what.push('an icon drawn in nothing');
				const words = b.querySelector('.label');
				if (words && (!seen(words) || !words.textContent.trim())) what.push('words take no room');
				return what.length ? b.outerHTML.slice(0, 80) + ': ' + what.join(', ') : '';
			}).filter(Boolean);
			if (bs.length < `+strconv.Itoa(want)+`) out.push(bs.length + ' buttons, want ' + `+strconv.Itoa(want)+`);
			return out;
		})()`))
		if err != nil {
			t.Fatalf("check the buttons %s: %v", sel, err)
		}
		for _, p := range v {
			t.Errorf("button %s: %s", sel, p)
		}
	}

	// An English browser gets the English page; phones get no sideways scrolling.
	do(ctx, "open the page", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("text")))
	// The title, greeting and hint come from the FAQ in service.
	do(ctx, "wait for the FAQ's title", chromedp.Poll[chromedp.Void](`document.getElementById('title').textContent !== 'Support chat'`,
		chromedp.WithPollingTimeout(5*time.Second)))
	if title, width := text(ctx, "#title"), eval(ctx, `document.documentElement.scrollWidth`).(float64); title != "ICP filing: MIIT SMS verification" || width > 390 {
		t.Errorf("English UI title %q, page width %v on a 390px phone", title, width)
	}
	if hint := eval(ctx, `document.getElementById('text').placeholder`).(string); !strings.Contains(hint, "e.g.") {
		t.Errorf("English hint %q, want one with an example question", hint)
	}
	iconButtons(ctx, "#send, #human", 2)
	do(ctx, "open the Chinese page", chromedp.EmulateViewport(390, 1000), chromedp.Navigate(base+"/?lang=zh"), chromedp.WaitVisible(chromedp.ID("text")))
	do(ctx, "wait for the FAQ's Chinese title", chromedp.Poll[chromedp.Void](`document.getElementById('title').textContent !== '在线客服'`,
		chromedp.WithPollingTimeout(5*time.Second)))
	if title := text(ctx, "#title"); title != "ICP 备案管局短信核验" {
		t.Errorf("?lang=zh title %q", title)
	}
	if welcome := eval(ctx, `document.querySelector('#log li').textContent`).(string); !strings.Contains(welcome, "您好") || !strings.Contains(welcome, "管局短信") {
		t.Errorf("?lang=zh welcome %q, want the greeting with the FAQ's questions", welcome)
	}

	ask("收不到管局短信怎么办")
	steps := eval(ctx, `[...`+answers+`].pop().querySelectorAll('ol > li').length`).(float64)
	links := eval(ctx, `[...`+answers+`].pop().querySelectorAll('a[href^="https://"][target=_blank]').length`).(float64)
	if got := lastIntent(); got != "sms_missing" || steps != 4 || links != 1 {
		t.Fatalf("answer: intent %q, %v steps, %v links", got, steps, links)
	}
	iconButtons(ctx, "#send, #human, button.feedback", 4)
	do(ctx, "vote helpful", chromedp.Click(chromedp.CSS(`li.bot[data-intent] button.feedback[data-helpful=true]`)),
		chromedp.WaitVisible(chromedp.CSS(`.thanks`)))

	ask("验证失败 收不到短信")
	if got := lastIntent(); got != "clarify" {
		t.Fatalf("clarify: got %q", got)
	}
	n := bots()
	do(ctx, "choose an option", chromedp.Click(chromedp.CSS(`li.bot[data-intent=clarify] button.clarify[data-intent=verify_failed]`)))
	waitAnswers(n + 1)
	if got := lastIntent(); got != "verify_failed" {
		t.Fatalf("after the clarify choice: %q", got)
	}

	xss := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	ask(xss)
	shown := eval(ctx, `[...document.querySelectorAll('li.user')].pop().textContent`).(string)
	if elems := eval(ctx, `document.querySelectorAll('#log img, #log script').length`).(float64); shown != xss || elems != 0 {
		t.Errorf("the XSS message shows as %q with %v elements", shown, elems)
	}
	n = bots()
	do(ctx, "ask for a person", chromedp.Click(chromedp.ID("human")))
	waitAnswers(n + 1)
	if got := lastIntent(); got != "human" {
		t.Fatalf("talk to a person: %q", got)
	}

	// The agent, in another tab: sign in, see the conversation, reply.
	admin, cancel2 := chromedp.NewContext(ctx)
	defer cancel2()
	do(admin, "sign in", chromedp.EmulateViewport(1100, 900), chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), testToken), chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("handoffs")))
	var queue string
	for i := 0; i < 50; i++ { // the exchange log is written in batches
		do(admin, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("handoffs")))
		if queue = text(admin, "#handoffs"); strings.Contains(queue, xss) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(queue, "收不到管局短信怎么办") || !strings.Contains(queue, xss) {
		t.Fatalf("the handoff queue does not show the conversation as text:\n%s", queue)
	}
	unanswered := text(admin, "#unanswered")
	if elems := eval(admin, `document.querySelectorAll('main script, main img').length`).(float64); !strings.Contains(unanswered, xss) || elems != 0 {
		t.Errorf("unanswered questions: XSS text missing or turned into elements (%v):\n%s", elems, unanswered)
	}
	shot(t, admin, "admin.png")

	// A Chinese browser (Accept-Language zh-CN) gets the console in Chinese,
	// in another tab of the same session.
	zh, cancel3 := chromedp.NewContext(ctx)
	defer cancel3()
	acceptChinese := func(c context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(c, tg, network.SetExtraHTTPHeaders,
			network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}})
		return chromedp.Void{}, err
	}
	do(zh, "open the console in Chinese", acceptChinese, chromedp.EmulateViewport(1100, 900), chromedp.Navigate(base+"/admin"),
		chromedp.WaitVisible(chromedp.ID("handoffs")))
	if lang, h1, queue := eval(zh, `document.documentElement.lang`), text(zh, "h1"), text(zh, "#handoffs h2"); lang != "zh" || h1 != "supportbot 管理后台" || queue != "转人工队列" {
		t.Errorf("console with Accept-Language zh-CN: lang %v, title %q, queue %q", lang, h1, queue)
	}
	if button := text(zh, "form.reply button"); button != "发送回复" {
		t.Errorf("the Chinese console's reply button says %q", button)
	}
	shot(t, zh, "admin.zh.png")
	cancel3()
	do(admin, "reply", chromedp.SendKeys(chromedp.CSS(`form.reply textarea`), "您好，我是客服小李，请稍等。"),
		chromedp.Click(chromedp.CSS(`form.reply button`)), chromedp.WaitVisible(chromedp.CSS(`.flash`)))

	// Back in the chat: the reply arrives by polling.
	do(ctx, "wait for the agent", chromedp.WaitVisible(chromedp.CSS(`li.agent`)))
	if agent := text(ctx, "li.agent"); !strings.Contains(agent, "您好，我是客服小李，请稍等。") {
		t.Errorf("the agent's reply in the chat: %q", agent)
	}
	shot(t, ctx, "chat.png")

	// The agent resolves; the bot answers again and the page stops polling.
	do(admin, "resolve", chromedp.Click(chromedp.CSS(`form.inline button.ghost`)), chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	ask("短信被拦截了怎么办")
	if got := lastIntent(); got != "sms_missing.blocked" {
		t.Errorf("after resolve the bot answers again: %q", got)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`localStorage.getItem('supportbot.handoff') === '0'`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Errorf("the page still polls for agents' replies after the handoff ended: %v", err)
	}
	if dialogs.Load() != 0 {
		t.Errorf("%d JavaScript dialogs opened: user text ran as code", dialogs.Load())
	}
	// A website with the one-tag widget, on another origin: the bubble
	// opens the chat page in a frame.
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>Example help page</title><h1>Help</h1><script src="`+base+`/widget.js" data-lang="en" async></script>`)
	}))
	defer host.Close()
	const openBubble, closeBubble = `button[aria-label="Open support chat"]`, `button[aria-label="Close support chat"]`
	do(admin, "open a site with the widget", chromedp.Navigate(host.URL), chromedp.WaitVisible(chromedp.CSS(openBubble)))
	iconButtons(admin, openBubble, 1)
	do(admin, "open the chat", chromedp.Click(chromedp.CSS(openBubble)), chromedp.WaitVisible(chromedp.CSS(`iframe`)))
	if src := eval(admin, `document.querySelector('iframe').src`).(string); src != base+"/?embed=1&lang=en" {
		t.Errorf("widget frame src %q", src)
	}
	iconButtons(admin, closeBubble, 1)
	shot(t, admin, "widget.png")
	do(admin, "close the chat", chromedp.Click(chromedp.CSS(closeBubble)), chromedp.WaitNotVisible(chromedp.CSS(`iframe`)),
		chromedp.WaitVisible(chromedp.CSS(openBubble+`[aria-expanded=false]`)))
	for i := 0; s.embeds.Load() == 0 && i < 100; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if s.embeds.Load() == 0 {
		t.Error("the widget's frame never loaded the chat page")
	}

	// The vote went through the API into the real store.
	if r, err := s.store.Report(context.Background(), time.Now().Add(-time.Hour), strings.TrimSpace, nil, 0.6, 5); err != nil || r.Feedback != 1 || r.Helpful != 1 {
		t.Errorf("feedback stored: %+v %v", r.Feedback, err)
	}
}

// shot saves a screenshot when -screenshots is given.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(*screenshots, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
