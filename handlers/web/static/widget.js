// The supportbot chat bubble. Add it to a page with one tag:
//   <script src="https://bot.example.com/widget.js" async></script>
// Optional attributes: data-lang="zh|en", data-position="left|right".
(function () {
  'use strict';
  var me = document.currentScript;
  if (!me || window.__supportbotWidget) return;
  window.__supportbotWidget = true;
  var origin = new URL(me.src, location.href).origin;
  var lang = me.getAttribute('data-lang');
  var side = me.getAttribute('data-position') === 'left' ? 'left' : 'right';
  var zh = lang ? lang === 'zh' : /^zh\b/i.test(navigator.language || '');

  function style(e, s) { for (var k in s) e.style[k] = s[k]; }
  function mount() {
    var btn = document.createElement('button');
    btn.type = 'button';
    btn.setAttribute('aria-label', zh ? '打开客服聊天' : 'Open support chat');
    btn.setAttribute('aria-expanded', 'false');
    btn.textContent = '💬';
    style(btn, { position: 'fixed', bottom: '20px', width: '56px', height: '56px', borderRadius: '50%', border: '0',
      background: '#1f6feb', color: '#fff', fontSize: '26px', cursor: 'pointer', zIndex: '2147483647',
      boxShadow: '0 4px 14px rgba(0,0,0,.25)' });
    btn.style[side] = '20px';

    var frame = null;
    btn.addEventListener('click', function () {
      if (!frame) {
        frame = document.createElement('iframe');
        frame.src = origin + '/?embed=1' + (lang ? '&lang=' + encodeURIComponent(lang) : '');
        frame.title = zh ? '客服聊天' : 'Support chat';
        style(frame, { position: 'fixed', bottom: '88px', width: 'min(380px, calc(100vw - 24px))',
          height: 'min(600px, calc(100vh - 110px))', border: '1px solid #d9dde3', borderRadius: '12px',
          background: '#fff', zIndex: '2147483647', boxShadow: '0 8px 28px rgba(0,0,0,.2)' });
        frame.style[side] = '12px';
        document.body.appendChild(frame);
        btn.setAttribute('aria-expanded', 'true');
        return;
      }
      var open = frame.style.display === 'none';
      frame.style.display = open ? 'block' : 'none';
      btn.setAttribute('aria-expanded', String(open));
    });
    document.body.appendChild(btn);
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
