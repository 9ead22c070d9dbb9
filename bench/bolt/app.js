'use strict';
// Bolt for JS counterpart of supportbot's Slack /checknum command, for
// side-by-side benchmarks (see README.md beside this file). It answers the
// slash command in the ack, as the Go adapter does, from the same prefix
// table: the <table> in knowledge/data/faq.zh.md.
//
// Env: SLACK_SIGNING_SECRET (required), SLACK_BOT_TOKEN, PORT (3000),
// FAQ_PATH (../../knowledge/data/faq.zh.md), LOG_LEVEL (info).
//
// It never contacts Slack: `authorize` hands Bolt a static bot token with
// bot ids, so there is no auth.test call, neither at startup nor on the
// first request (tokenVerificationEnabled:false alone would still call
// auth.test lazily on the first request).

const fs = require('node:fs');
const path = require('node:path');
const { App, LogLevel } = require('@slack/bolt');

const signingSecret = process.env.SLACK_SIGNING_SECRET;
if (!signingSecret) {
  console.error('SLACK_SIGNING_SECRET is required (signature verification stays on)');
  process.exit(1);
}
const botToken = process.env.SLACK_BOT_TOKEN || 'xoxb-bench';
const port = Number(process.env.PORT || 3000);
const faqPath = process.env.FAQ_PATH || path.resolve(__dirname, '../../knowledge/data/faq.zh.md');

// ---- prefix table -------------------------------------------------------

const strip = (html) => html.replace(/<[^>]*>/g, '').trim();

// parsePrefixes reads the (carrier, prefix, 有效) rows of the <table>s in
// the FAQ; header rows (<th>) have no <td> cells and are skipped.
function parsePrefixes(markdown) {
  const table = new Map();
  for (const [, row] of markdown.matchAll(/<tr\b[^>]*>([\s\S]*?)<\/tr>/gi)) {
    const cells = [...row.matchAll(/<td\b[^>]*>([\s\S]*?)<\/td>/gi)].map((m) => strip(m[1]));
    if (cells.length < 3 || !/^1\d\d$/.test(cells[1])) continue;
    table.set(cells[1], { carrier: cells[0], valid: cells[2] === '有效' });
  }
  return table;
}

const prefixes = parsePrefixes(fs.readFileSync(faqPath, 'utf8'));
if (prefixes.size === 0) {
  console.error(`no prefix rows found in ${faqPath}`);
  process.exit(1);
}

// ---- number check (same rules as bot.CheckNumber, minus masked input) ----

const SEPARATORS = new Set([' ', '-', '.', '(', ')', '+', '_', '/', '\u3000']);

function checkNumber(input) {
  const s = input.normalize('NFKC').trim(); // full-width digits and spaces
  let ds = '';
  for (const ch of s) {
    if (ch >= '0' && ch <= '9') ds += ch;
    else if (!SEPARATORS.has(ch)) return { input, valid: false, error: '含有数字以外的字符' };
  }
  if (ds.length === 13 && ds.startsWith('86')) ds = ds.slice(2);
  else if (ds.length === 15 && ds.startsWith('0086')) ds = ds.slice(4);
  else if (s.startsWith('+') && ds.startsWith('86') && ds.length > 2) ds = ds.slice(2);
  if (ds === '') return { input, valid: false, error: '没有数字' };
  if (ds.length !== 11 && ds.length !== 3) {
    return { input, valid: false, normalized: ds, error: `${ds.length} 位数字；手机号码为 11 位，也可以只输入前三位号段` };
  }
  if (ds[0] !== '1') return { input, valid: false, normalized: ds, error: '手机号码以 1 开头' };
  const prefix = ds.slice(0, 3);
  const row = prefixes.get(prefix);
  return { input, valid: true, normalized: ds, prefix, carrier: row ? row.carrier : '', supported: !!row && row.valid };
}

const mask = (ds) => (ds && ds.length === 11 ? `${ds.slice(0, 3)}****${ds.slice(7)}` : ds || '');

function verdict(n) {
  const who = mask(n.normalized) || n.input;
  if (!n.valid) return `${who}：不是有效的手机号码（${n.error}）。`;
  if (n.supported) {
    return `${who}：号段 ${n.prefix} 属于${n.carrier}，在工信部支持的号段列表中，可以接收核验短信。`;
  }
  if (n.carrier) {
    return `${who}：号段 ${n.prefix} 属于${n.carrier}，但在工信部号段列表中标为无效，无法接收核验短信。请更换一个支持号段的手机号码。`;
  }
  return `${who}：号段 ${n.prefix} 不在工信部支持的号段列表中，无法接收核验短信。请更换一个支持号段的手机号码。`;
}

// ---- Bolt app -----------------------------------------------------------

const app = new App({
  signingSecret, // default HTTPReceiver, signature verification on (the default)
  // Static authorization: no auth.test, no network (see the top comment).
  authorize: async () => ({ botToken, botId: 'BBENCH', botUserId: 'UBENCH' }),
  // The Go bot's bench path is /slack/commands; accept Bolt's default too.
  endpoints: ['/slack/commands', '/slack/events'],
  port,
  // Bolt's default level, INFO, as a production deployment would run it
  // (Bolt logs nothing per request at INFO). LOG_LEVEL=warn for WARN.
  logLevel: { debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR }[
    (process.env.LOG_LEVEL || 'info').toLowerCase()
  ] || LogLevel.INFO,
});

app.command('/checknum', async ({ command, ack }) => {
  const text = (command.text || '').trim();
  if (!text) {
    await ack({
      response_type: 'ephemeral',
      text: '用法：`/checknum 13812345678`（也可以只输入前三位号段，如 `/checknum 192`）',
    });
    return;
  }
  const answer = verdict(checkNumber(text));
  await ack({
    response_type: 'ephemeral',
    text: answer,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: answer } }],
  });
});

(async () => {
  await app.start();
  app.logger.info(`bolt /checknum app listening on :${port} (${prefixes.size} prefixes from ${faqPath})`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    app.stop().finally(() => process.exit(0));
  });
}
