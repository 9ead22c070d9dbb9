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
  // The bubble's icons are line drawings on a 24-unit grid, drawn inline:
  // they need no emoji font (kiosk and Linux browsers often have none).
  // Inline styles, so the host page's CSS for svg and buttons does not
  // reach them.
  var paths = {
    open: 'M5 4.5h14a2 2 0 0 1 2 2v8.5a2 2 0 0 1-2 2h-7.5L6 21v-4H5a2 2 0 0 1-2-2V6.5a2 2 0 0 1 2-2z',
    close: 'M6 6l12 12M18 6L6 18'
  };
  function icon(name) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    style(svg, { display: 'block', width: '28px', height: '28px', fill: 'none', stroke: 'currentColor', strokeWidth: '2',
      strokeLinecap: 'round', strokeLinejoin: 'round', pointerEvents: 'none' });
    var path = document.createElementNS(ns, 'path');
    path.setAttribute('d', paths[name]);
    svg.appendChild(path);
    return svg;
  }
  function mount() {
    var btn = document.createElement('button');
    btn.type = 'button';
    style(btn, { position: 'fixed', bottom: '20px', width: '56px', height: '56px', borderRadius: '50%', border: '0',
      padding: '0', display: 'flex', alignItems: 'center', justifyContent: 'center',
      background: '#1f6feb', color: '#fff', cursor: 'pointer', zIndex: '2147483647',
      boxShadow: '0 4px 14px rgba(0,0,0,.25)' });
    btn.style[side] = '20px';
    // show draws the bubble for a closed chat (open it) or an open one (close it).
    function show(open) {
      btn.textContent = '';
      btn.appendChild(icon(open ? 'close' : 'open'));
      btn.setAttribute('aria-label', open ? (zh ? '关闭客服聊天' : 'Close support chat') : (zh ? '打开客服聊天' : 'Open support chat'));
      btn.setAttribute('aria-expanded', String(open));
    }
    show(false);

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
        show(true);
        return;
      }
      var open = frame.style.display === 'none';
      frame.style.display = open ? 'block' : 'none';
      show(open);
    });
    document.body.appendChild(btn);
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
