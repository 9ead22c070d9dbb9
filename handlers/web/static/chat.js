// The supportbot chat page. Everything the user or the server wrote is put
// on the page as text (textContent, createTextNode), never as HTML.
(function () {
  'use strict';

  var params = new URLSearchParams(location.search);
  var lang = params.get('lang') === 'en' || params.get('lang') === 'zh' ? params.get('lang')
    : (/^zh\b/i.test(navigator.language || '') ? 'zh' : 'en');
  var T = {
    zh: {
      title: '在线客服', placeholder: '输入您的问题', send: '发送',
      human: '转人工', welcome: '您好！请直接描述您遇到的问题。',
      helpful: '有帮助', notHelpful: '没帮助', thanks: '谢谢您的反馈！', you: '我', bot: '助手',
      agent: '人工客服', typing: '正在输入…', error: '抱歉，暂时无法连接服务，请稍后再试。',
      waiting: '人工客服回复后会显示在这里。', tooFast: '请稍候再发送。'
    },
    en: {
      title: 'Support chat', placeholder: 'Ask a question', send: 'Send',
      human: 'Talk to a person', welcome: 'Hello! Just tell me what happened.',
      helpful: 'Helpful', notHelpful: 'Not helpful', thanks: 'Thanks for the feedback!', you: 'You', bot: 'Bot',
      agent: 'Support agent', typing: 'Typing…', error: 'Sorry, the service cannot be reached right now; please try again later.',
      waiting: 'An agent\u2019s reply will appear here.', tooFast: 'Please wait a moment.'
    }
  }[lang];

  // A random id per browser: it names this user's conversation and is
  // what fetches the agent's replies, so it is not guessable.
  function newID() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return 'w-' + Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
  var store = {};
  function get(k) { try { return localStorage.getItem(k); } catch (e) { return store[k] || null; } }
  function set(k, v) { try { localStorage.setItem(k, v); } catch (e) { store[k] = v; } }
  var user = get('supportbot.user');
  if (!user) { user = newID(); set('supportbot.user', user); }

  var log = document.getElementById('log');
  var form = document.getElementById('form');
  var input = document.getElementById('text');
  var sendBtn = document.getElementById('send');
  var humanBtn = document.getElementById('human');

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  // The buttons' icons are line drawings on a 24-unit grid, drawn inline:
  // they need no emoji font (kiosk and Linux browsers often have none)
  // and no request.
  var ICONS = {
    thumb: 'M7 10v10H3V10h4zm0 0l4-7c1.4 0 2.5 1.1 2.5 2.5V9h5.1c1.3 0 2.2 1.2 2 2.4l-1.2 6.9c-.2 1-1 1.7-2 1.7H7',
    send: 'M4 11.5L20 4l-7.5 16-2-6.5-6.5-2zm6.5 2L20 4',
    person: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 8c0-3.3 3.1-6 7-6s7 2.7 7 6'
  };
  function icon(name, upsideDown) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('class', 'icon');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('d', ICONS[name]);
    if (upsideDown) path.setAttribute('transform', 'matrix(1 0 0 -1 0 24)');
    svg.appendChild(path);
    return svg;
  }
  // labelled puts an icon and words on a button; the words are also its
  // accessible name.
  function labelled(btn, iconNode, text) {
    btn.textContent = '';
    btn.classList.add('with-icon');
    btn.setAttribute('aria-label', text);
    btn.appendChild(iconNode);
    btn.appendChild(el('span', 'label', text));
    return btn;
  }

  document.documentElement.lang = lang;
  document.title = T.title;
  document.getElementById('title').textContent = T.title;
  input.placeholder = T.placeholder;
  labelled(sendBtn, icon('send'), T.send);
  labelled(humanBtn, icon('person'), T.human);

  function add(role, node) {
    var li = el('li', 'msg ' + role);
    li.dataset.role = role;
    if (role === 'agent') li.appendChild(el('span', 'who', T.agent));
    li.appendChild(node);
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }

  // inline renders text runs; only http(s) links become anchors.
  function inline(spans) {
    var f = document.createDocumentFragment();
    (spans || []).forEach(function (s) {
      if (s.url && /^https?:\/\//i.test(s.url)) {
        var a = el('a', null, s.text || s.url);
        a.href = s.url;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        f.appendChild(a);
      } else {
        f.appendChild(document.createTextNode(s.text || ''));
      }
    });
    return f;
  }

  function renderReply(r) {
    var box = document.createDocumentFragment();
    if (r.title) {
      var h = el('p');
      h.appendChild(el('strong', null, r.title));
      box.appendChild(h);
    }
    (r.blocks || []).forEach(function (b) {
      if (b.items && b.items.length) {
        var list = el(b.ordered ? 'ol' : 'ul');
        if (b.ordered && b.start > 1) list.start = b.start;
        b.items.forEach(function (it) {
          var li = el('li');
          li.appendChild(inline(it.text));
          if (it.sub && it.sub.length) {
            var ul = el('ul');
            it.sub.forEach(function (s) { var sl = el('li'); sl.appendChild(inline(s)); ul.appendChild(sl); });
            li.appendChild(ul);
          }
          list.appendChild(li);
        });
        box.appendChild(list);
      } else {
        var p = el('p', b.note ? 'note' : null);
        p.appendChild(inline(b.text));
        box.appendChild(p);
      }
    });
    if (!r.blocks || !r.blocks.length) box.appendChild(el('p', null, r.reply || ''));
    var actions = el('div', 'actions');
    (r.clarify || []).forEach(function (o, i) {
      var b = el('button', 'clarify', o.label);
      b.type = 'button';
      b.dataset.intent = o.intent;
      b.addEventListener('click', function () {
        actions.querySelectorAll('button.clarify').forEach(function (x) { x.disabled = true; });
        send(String(i + 1), o.label);
      });
      actions.appendChild(b);
    });
    if (r.source && !r.handoff) {
      [[true, T.helpful], [false, T.notHelpful]].forEach(function (v) {
        var b = labelled(el('button', 'feedback'), icon('thumb', !v[0]), v[1]);
        b.type = 'button';
        b.dataset.helpful = String(v[0]);
        b.addEventListener('click', function () { vote(r.intent, v[0], actions); });
        actions.appendChild(b);
      });
    }
    if (actions.childNodes.length) box.appendChild(actions);
    return box;
  }

  function vote(intent, helpful, actions) {
    actions.querySelectorAll('button.feedback').forEach(function (x) { x.disabled = true; });
    fetch('/api/feedback', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: user, intent: intent, helpful: helpful })
    }).then(function (res) {
      if (!res.ok) throw new Error(res.status);
      actions.appendChild(el('span', 'note thanks', T.thanks));
    }).catch(function () {
      actions.querySelectorAll('button.feedback').forEach(function (x) { x.disabled = false; });
    });
  }

  var busy = false;
  // send posts text, or a button's request ("handoff") with the text
  // shown for it.
  function send(text, shown, request) {
    text = (text || '').trim();
    if ((!text && !request) || busy) return;
    busy = true;
    sendBtn.disabled = true;
    if (shown !== null) add('user', el('span', null, shown || text));
    var typing = add('bot', el('span', 'typing', T.typing));
    fetch('/api/chat', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request ? { user: user, request: request, lang: lang } : { user: user, text: text, lang: lang })
    }).then(function (res) {
      if (res.status === 429) throw new Error('rate');
      if (!res.ok) throw new Error(res.status);
      return res.json();
    }).then(function (r) {
      typing.remove();
      if (r.handoff || r.silent) { set('supportbot.handoff', String(Date.now())); poll(); }
      else if (get('supportbot.handoff')) {
        // The bot answers again: the handoff was resolved. Fetch what the
        // agent wrote last, then stop polling.
        poll(function () { set('supportbot.handoff', '0'); });
      }
      if (r.silent) {
        add('bot', el('span', 'note', T.waiting));
        return;
      }
      var li = add('bot', renderReply(r));
      li.dataset.intent = r.intent;
    }).catch(function (e) {
      typing.remove();
      add('bot', el('span', 'note error', e.message === 'rate' ? T.tooFast : T.error));
    }).then(function () {
      busy = false;
      sendBtn.disabled = false;
    });
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var t = input.value;
    input.value = '';
    send(t);
    input.focus();
  });
  humanBtn.addEventListener('click', function () { send('', T.human, 'handoff'); });

  // Agents' replies: polled while a handoff from this browser is recent.
  var polling = false;
  function poll(then) {
    var since = Number(get('supportbot.handoff') || 0);
    if (polling || document.hidden || Date.now() - since > 24 * 3600 * 1000) { if (then) then(); return; }
    polling = true;
    var after = Number(get('supportbot.after') || 0);
    fetch('/api/chat/messages?after=' + after, { headers: { 'X-Chat-User': user } })
      .then(function (res) { return res.ok ? res.json() : { messages: [], last: after }; })
      .then(function (r) {
        (r.messages || []).forEach(function (m) {
          add('agent', el('span', null, m.text));
          set('supportbot.after', String(m.id));
        });
        // The server's log was reset: start again from its last message.
        if (typeof r.last === 'number' && r.last < after) set('supportbot.after', String(r.last));
      })
      .catch(function () {})
      .then(function () { polling = false; if (then) then(); });
  }
  setInterval(function () { poll(); }, 3000);
  document.addEventListener('visibilitychange', function () { poll(); });

  // The title, the greeting and the hint come from the FAQ in service; the
  // words above stand in until they come (or if they cannot).
  var welcome = add('bot', el('span', null, T.welcome));
  fetch('/api/page?lang=' + lang).then(function (res) {
    if (!res.ok) throw new Error(res.status);
    return res.json();
  }).then(function (p) {
    if (p.title) { document.title = p.title; document.getElementById('title').textContent = p.title; }
    if (p.placeholder) input.placeholder = p.placeholder;
    if (p.welcome) welcome.lastChild.textContent = p.welcome;
  }).catch(function () {});
  poll();
  input.focus();
})();
