/// The style sheet and the script every `tls13 trace --format html` page carries inline.
extension TraceHTML {
    /// The Content-Security-Policy source for ``script``: `'sha256-'` and the base64 of its SHA-256, so that the
    /// browser runs this script and nothing else (no injected handler could run even if escaping failed).
    /// TraceHTMLTests recomputes it: change the script and the test prints the new value.
    static let scriptHash = "sha256-K7NvKuPQ53eHx3gOjqmtElRJLrsLfAQQEBcMD/HMsvM="

    /// Selection: click, focus (Tab), `j` / `k` (and the arrow keys on a selected event) move it; `#ev-N` or
    /// `#kind=KIND` in the address picks the first one. Marks `<body>` with `data-ready` (the number of events) and
    /// `data-json-events` (the number in the embedded JSON, as the browser parsed it) when done.
    static let script = """
    (function () {
      'use strict';
      var d = document;
      d.documentElement.classList.add('js');
      var events = d.querySelectorAll('svg .event');
      // The panels, by event index. Their ids go: without the script, `#ev-N` shows panel N by :target; with it,
      // the script shows them, and the browser must not scroll to a panel named in the address.
      var boxes = [];
      var sections = d.querySelectorAll('#panel .detail');
      for (var s = 0; s < sections.length; s++) {
        boxes[parseInt(sections[s].getAttribute('data-index'), 10)] = sections[s];
        sections[s].removeAttribute('id');
      }
      var panel = d.getElementById('panel');
      var hint = d.getElementById('hint');
      var current = -1;
      function select(i, focus) {
        if (!(i >= 0 && i < events.length)) return;
        if (current >= 0 && current !== i) {
          events[current].classList.remove('selected');
          events[current].removeAttribute('aria-current');
          if (boxes[current]) boxes[current].hidden = true;
        }
        current = i;
        var el = events[i];
        var box = boxes[i];
        el.classList.add('selected');
        el.setAttribute('aria-current', 'true');
        if (box) box.hidden = false;
        if (hint) hint.hidden = true;
        panel.setAttribute('data-selected', String(i));
        panel.scrollTop = 0;
        if (focus && d.activeElement !== el) el.focus();
        try { history.replaceState(null, '', '#ev-' + i); } catch (e) {}
      }
      function indexOf(el) { return parseInt(el.getAttribute('data-index'), 10); }
      for (var i = 0; i < events.length; i++) {
        events[i].addEventListener('click', function (e) { e.preventDefault(); select(indexOf(this), false); });
        events[i].addEventListener('focus', function () { select(indexOf(this), false); });
      }
      panel.addEventListener('click', function (e) {
        var a = e.target.closest ? e.target.closest('a[data-goto]') : null;
        if (a) { e.preventDefault(); select(parseInt(a.getAttribute('data-goto'), 10), true); }
      });
      d.addEventListener('keydown', function (e) {
        if (e.altKey || e.ctrlKey || e.metaKey) return;
        var onEvent = d.activeElement && d.activeElement.classList && d.activeElement.classList.contains('event');
        if (e.key === 'j' || (onEvent && e.key === 'ArrowDown')) { select(current + 1, true); e.preventDefault(); }
        else if (e.key === 'k' || (onEvent && e.key === 'ArrowUp')) { select(current - 1, true); e.preventDefault(); }
      });
      var count = -1;
      try {
        var data = JSON.parse(d.getElementById('trace').textContent);
        count = data && Array.isArray(data.events) ? data.events.length : 0;
      } catch (e) {}
      d.body.setAttribute('data-json-events', String(count));
      var start = 0;
      var m = /^#ev-([0-9]+)$/.exec(location.hash);
      if (m) start = parseInt(m[1], 10);
      else if ((m = /^#kind=([a-z._]+)$/.exec(location.hash))) {
        for (var j = 0; j < events.length; j++) {
          if (events[j].getAttribute('data-kind') === m[1]) { start = j; break; }
        }
      }
      if (events.length) {
        select(start < events.length ? start : 0, false);
        var r = events[current].getBoundingClientRect();
        if (r.top < 0 || r.bottom > window.innerHeight) events[current].scrollIntoView({ block: 'center' });
      }
      d.body.setAttribute('data-ready', String(events.length));
    })();

    """

    static let css = """
    :root {
      --tcp: #64748b; --plaintext: #2563eb; --early: #d97706; --handshake: #9333ea; --application: #059669;
      --alert: #dc2626; --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --bg: #f8fafc; --card: #ffffff;
      --mono: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace;
      font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", "DejaVu Sans", sans-serif;
      color: var(--ink); background: var(--bg); font-size: 14px; line-height: 1.45;
    }
    body { margin: 0; }
    code, kbd { font-family: var(--mono); font-size: 0.92em; }
    kbd { border: 1px solid var(--line); border-bottom-width: 2px; border-radius: 4px; padding: 0 4px; background: #fff; }
    header.top { padding: 18px 28px 14px; background: var(--card); border-bottom: 1px solid var(--line); }
    .brand { font-size: 12px; font-weight: 700; letter-spacing: 0.1em; text-transform: uppercase; color: var(--handshake); }
    h1 { margin: 2px 0 2px; font-size: 26px; font-weight: 700; font-family: var(--mono); overflow-wrap: anywhere; }
    h1 .sni { font-family: inherit; font-size: 14px; font-weight: 500; color: var(--muted); }
    .sub { margin: 0 0 12px; color: var(--muted); overflow-wrap: anywhere; }
    .sub b { color: var(--ink); font-weight: 600; }
    .outcome { border-radius: 8px; padding: 9px 14px; margin: 0 0 14px; overflow-wrap: anywhere; }
    .outcome.ok { background: #ecfdf5; border: 1px solid #a7f3d0; color: #065f46; font-weight: 500; }
    .outcome.fail { background: #fef2f2; border: 2px solid #f87171; color: #7f1d1d; }
    .outcome .badge { display: inline-block; font-weight: 700; border-radius: 999px; padding: 1px 10px; margin-right: 6px;
      color: #fff; background: var(--application); }
    .outcome.fail .badge { background: var(--alert); }
    .outcome .err { font-size: 15px; font-weight: 600; color: #991b1b; }
    .outcome .why { margin: 6px 0 0; font-size: 15px; color: var(--ink); }
    .outcome .facts { margin: 4px 0 0; color: #7f1d1d; }
    .timings { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 10px; }
    .card { background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 7px 12px; }
    .card .k { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; }
    .card .v { font-size: 20px; font-weight: 700; font-variant-numeric: tabular-nums; }
    .card .d { font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; }
    .timings .card:nth-child(1) { border-top: 4px solid #94a3b8; }
    .timings .card:nth-child(2) { border-top: 4px solid var(--tcp); }
    .timings .card:nth-child(3) { border-top: 4px solid var(--handshake); }
    .timings .card:nth-child(4) { border-top: 4px solid var(--application); }
    .timings .card:nth-child(5) { border-top: 4px solid var(--ink); }
    .waterfall { display: flex; height: 8px; margin: 10px 0 12px; border-radius: 4px; overflow: hidden; background: var(--line); }
    .waterfall .ph { display: block; min-width: 2px; height: 100%; }
    .ph0 { background: #94a3b8; } .ph1 { background: var(--tcp); } .ph2 { background: var(--handshake); }
    .ph3 { background: var(--application); } .ph4 { background: #a7f3d0; }
    .negotiated { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 4px 18px; margin: 0 0 8px; }
    .negotiated div { display: flex; flex-direction: column; min-width: 0; }
    .negotiated dt { font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; font-weight: 600; }
    .negotiated dd { margin: 0; font-family: var(--mono); font-size: 13px; overflow-wrap: anywhere; }
    .note { margin: 6px 0 0; color: var(--muted); overflow-wrap: anywhere; }
    .note.warn { color: #92400e; background: #fffbeb; border: 1px solid #fde68a; border-radius: 6px; padding: 5px 10px; }
    main.layout { display: grid; grid-template-columns: 880px minmax(320px, 1fr); gap: 20px; padding: 16px 28px 24px;
      align-items: start; }
    .diagram { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 10px 4px; min-width: 0; }
    .legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted); padding: 2px 6px 6px;
      border-bottom: 1px solid var(--line); margin-bottom: 4px; }
    .lg { display: inline-flex; align-items: center; gap: 5px; }
    .axis-note { margin-left: auto; font-style: italic; }
    .sw-tcp { stroke: var(--tcp); } .sw-plaintext { stroke: var(--plaintext); } .sw-early { stroke: var(--early); }
    .sw-handshake { stroke: var(--handshake); } .sw-application { stroke: var(--application); } .sw-alert { stroke: var(--alert); }
    .sw-dot { fill: #fff; stroke: var(--tcp); stroke-width: 2; }
    .sw-lock rect { fill: var(--handshake); } .sw-lock .shackle { fill: none; stroke: var(--handshake); stroke-width: 1.8; }
    svg.seq { display: block; max-width: 100%; height: auto; font-size: 13px; }
    svg.seq text { fill: var(--ink); }
    .party { fill: var(--ink); }
    svg.seq .party-name { fill: #fff; font-weight: 700; font-size: 14px; }
    svg.seq .axis, svg.seq .lane-name { font-size: 11px; fill: var(--muted); font-weight: 600; }
    svg.seq .lane-name.ln-tls { fill: var(--handshake); } svg.seq .lane-name.ln-app { fill: var(--application); }
    .life { stroke: #cbd5e1; stroke-width: 1.5; }
    .life.ln-tls { stroke: #d8b4fe; } .life.ln-app { stroke: #a7f3d0; stroke-dasharray: 4 3; }
    svg.seq .empty { fill: var(--muted); font-style: italic; }
    .gap-line { stroke: #cbd5e1; stroke-width: 1; stroke-dasharray: 2 2; }
    svg.seq .gap-label { font-size: 10.5px; fill: #94a3b8; font-style: italic; }
    .break { fill: #f1f5f9; stroke: #cbd5e1; stroke-dasharray: 6 3; }
    svg.seq .break-label { font-size: 11px; fill: var(--muted); font-style: italic; }
    .event { cursor: pointer; outline: none; }
    .event .hit { fill: transparent; stroke: none; }
    .event:hover .hit { fill: #f1f5f9; }
    .event.selected .hit { fill: #eef2ff; stroke: #818cf8; stroke-width: 1.2; }
    .event:focus-visible .hit { stroke: #0284c7; stroke-width: 2; }
    svg.seq .t { font-size: 11px; fill: var(--muted); font-variant-numeric: tabular-nums; font-family: var(--mono); }
    svg.seq .lb { font-size: 13px; }
    svg.seq .k-msg .lb { font-weight: 700; }
    svg.seq .sz { fill: var(--muted); font-weight: 400; font-size: 11.5px; }
    svg.seq .dt { font-size: 11px; fill: var(--muted); }
    svg.seq .local-lb { font-style: italic; fill: #334155; }
    svg.seq .lane-tcp .local-lb { font-style: normal; font-family: var(--mono); font-size: 12px; font-weight: 600; fill: #475569; }
    .ln { fill: none; stroke: #334155; stroke-width: 2; stroke-linecap: round; }
    .hd, .end { fill: #334155; }
    .lane-tcp .ln { stroke: var(--tcp); stroke-width: 1.5; } .lane-tcp .hd, .lane-tcp .end { fill: var(--tcp); }
    .lane-app .ln { stroke-width: 4; }
    .ep-plaintext .ln { stroke: var(--plaintext); } .ep-plaintext .hd, .ep-plaintext .end { fill: var(--plaintext); }
    .ep-early .ln { stroke: var(--early); } .ep-early .hd, .ep-early .end { fill: var(--early); }
    .ep-handshake .ln { stroke: var(--handshake); } .ep-handshake .hd, .ep-handshake .end { fill: var(--handshake); }
    .ep-application .ln { stroke: var(--application); } .ep-application .hd, .ep-application .end { fill: var(--application); }
    .k-close .ln { stroke-dasharray: 7 4; }
    .k-fin .ln { stroke-dasharray: 3 3; }
    .k-alert .ln { stroke: var(--alert); stroke-width: 2.5; } .k-alert .hd, .k-alert .end { fill: var(--alert); }
    svg.seq .k-alert .lb { fill: var(--alert); font-weight: 700; }
    .dot { fill: #fff; stroke: #475569; stroke-width: 2; }
    .lane-tls .dot { stroke: #7c3aed; } .lane-app .dot { stroke: var(--application); }
    .ep-plaintext .dot { stroke: var(--plaintext); } .ep-early .dot { stroke: var(--early); }
    .ep-handshake .dot { stroke: var(--handshake); } .ep-application .dot { stroke: var(--application); }
    .tick { stroke: #cbd5e1; stroke-width: 1; stroke-dasharray: 2 2; }
    .band { fill: #f5f3ff; stroke: #ddd6fe; }
    .ep-plaintext .band { fill: #eff6ff; stroke: #bfdbfe; } .ep-early .band { fill: #fffbeb; stroke: #fde68a; }
    .ep-handshake .band { fill: #faf5ff; stroke: #e9d5ff; } .ep-application .band { fill: #ecfdf5; stroke: #a7f3d0; }
    .event.selected .band { stroke: #818cf8; }
    .lock rect { fill: #7c3aed; } .lock .shackle { fill: none; stroke: #7c3aed; stroke-width: 1.8; }
    .ep-early .lock rect { fill: var(--early); } .ep-early .lock .shackle { stroke: var(--early); }
    .ep-handshake .lock rect { fill: var(--handshake); } .ep-handshake .lock .shackle { stroke: var(--handshake); }
    .ep-application .lock rect { fill: var(--application); } .ep-application .lock .shackle { stroke: var(--application); }
    svg.seq .keys-lb { font-weight: 600; fill: #3b0764; }
    .panel { position: sticky; top: 12px; max-height: calc(100vh - 24px); overflow: auto; background: var(--card);
      border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; min-width: 0; }
    .hint { color: var(--muted); margin: 0; }
    .detail { border-left: 4px solid #94a3b8; padding-left: 12px; }
    .detail.lane-tcp { border-left-color: var(--tcp); }
    .detail.ep-plaintext { border-left-color: var(--plaintext); } .detail.ep-early { border-left-color: var(--early); }
    .detail.ep-handshake { border-left-color: var(--handshake); } .detail.ep-application { border-left-color: var(--application); }
    html:not(.js) .detail:target { display: block; }
    .kicker { margin: 0; font-size: 12px; color: var(--muted); }
    .chip { display: inline-block; border-radius: 4px; padding: 0 6px; font-weight: 700; font-size: 11px; color: #fff;
      background: var(--tcp); }
    .ep-plaintext .epoch-chip { background: var(--plaintext); } .ep-early .epoch-chip { background: var(--early); }
    .ep-handshake .epoch-chip { background: var(--handshake); } .ep-application .epoch-chip { background: var(--application); }
    .lane-tls .lane-chip { background: #7c3aed; } .lane-app .lane-chip { background: var(--application); }
    .kind { font-family: var(--mono); }
    .detail h2 { margin: 4px 0 4px; font-size: 19px; overflow-wrap: anywhere; }
    .detail h2 .dir { color: var(--muted); font-weight: 400; }
    .detail h3 { margin: 12px 0 4px; font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
    .detail-line { margin: 0 0 6px; color: #334155; overflow-wrap: anywhere; }
    .facts { display: flex; flex-wrap: wrap; gap: 4px 20px; margin: 6px 0; }
    .facts div { display: flex; gap: 6px; align-items: baseline; }
    .facts dt { font-size: 11px; color: var(--muted); text-transform: uppercase; font-weight: 600; }
    .facts dd { margin: 0; font-family: var(--mono); font-size: 13px; }
    dl.kv { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 3px 12px; margin: 0; }
    dl.kv > dt { color: #475569; font-weight: 600; font-size: 13px; }
    dl.kv > dd { margin: 0; font-family: var(--mono); font-size: 12.5px; overflow-wrap: anywhere; min-width: 0; }
    dl.kv dl.kv { border-left: 2px solid var(--line); padding-left: 8px; }
    ol.list { margin: 0; padding-left: 22px; }
    ol.list > li { margin: 1px 0; }
    ol.list > li > dl.kv { padding: 3px 0 5px; border-bottom: 1px dashed var(--line); }
    .tbl { border-collapse: collapse; font-size: 12px; width: 100%; }
    .tbl th { text-align: left; font-family: system-ui, sans-serif; color: var(--muted); font-weight: 600;
      border-bottom: 1px solid var(--line); padding: 2px 8px 2px 0; }
    .tbl td { padding: 2px 8px 2px 0; border-bottom: 1px solid #f1f5f9; vertical-align: top; overflow-wrap: anywhere; }
    .is-grease, .is-grease td { color: #94a3b8; }
    .grease { display: inline-block; font-family: system-ui, sans-serif; font-size: 10px; font-weight: 700; color: #92400e;
      background: #fef3c7; border: 1px solid #fcd34d; border-radius: 4px; padding: 0 4px; }
    .dim { color: #94a3b8; }
    .ctl { color: #94a3b8; font-style: italic; }
    .v-num { color: #0f766e; } .v-true { color: var(--application); font-weight: 600; } .v-false { color: #b45309; }
    .hex, .deep { word-break: break-all; font-size: 11.5px; color: #475569; }
    .detail a { color: #4f46e5; }
    footer { padding: 0 28px 24px; color: var(--muted); font-size: 12px; }
    @media (max-width: 1240px) {
      main.layout { grid-template-columns: minmax(0, 1fr); }
      .panel { position: sticky; top: auto; bottom: 0; max-height: 45vh; box-shadow: 0 -4px 16px rgba(15, 23, 42, 0.12); }
      .timings { grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); }
    }

    """
}
