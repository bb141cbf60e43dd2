#include "FlameGraphTemplate.h"

// The viewer is ours (asprof-jfr), written for this format: a canvas drawn
// from the flat node list, laid out on every draw from the zoomed frame down,
// visiting only frames at least a device pixel wide and in the visible rows.

namespace asprof {
namespace jfr {

const char* const FlameGraphTemplate::HEAD = R"FG(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="asprof-jfr">
<title>)FG";

const char* const FlameGraphTemplate::BODY = R"FG(</title>
<style>
html, body { margin: 0; height: 100%; }
body { display: flex; flex-direction: column; background: #fcfcfa; color: #222;
	font: 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; padding: 6px 10px;
	background: #fff; border-bottom: 1px solid #ddd; }
header h1 { font-size: 15px; font-weight: 600; margin: 0 8px 0 0; }
header label { white-space: nowrap; user-select: none; }
#search { width: 20em; padding: 2px 4px; }
#search.invalid { outline: 2px solid #d33; }
#status { display: flex; gap: 16px; padding: 3px 10px; min-height: 16px; font-size: 12px; color: #444;
	border-bottom: 1px solid #eee; white-space: nowrap; overflow: hidden; }
#status span { overflow: hidden; text-overflow: ellipsis; }
#matched { color: #8a1c8a; font-weight: 600; }
#view { flex: 1; overflow-x: hidden; overflow-y: auto; position: relative; }
#canvas { position: sticky; top: 0; display: block; }
#tip { position: fixed; z-index: 10; display: none; pointer-events: none; max-width: 70vw; padding: 5px 8px;
	background: #fffff4; border: 1px solid #aaa; box-shadow: 0 2px 6px rgba(0, 0, 0, 0.2);
	font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
#tip b { display: block; margin-bottom: 3px; font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 600; }
</style>
</head>
<body>
<header>
<h1 id="heading"></h1>
<button id="reset" type="button" title="Show the whole graph (Esc)">Reset zoom</button>
<button id="flip" type="button" title="Root at the top (icicle) or at the bottom (flame)">Icicle</button>
<input id="search" type="search" placeholder="Search frames (Ctrl+F)" spellcheck="false" autocomplete="off">
<label><input id="regex" type="checkbox"> Regex</label>
<label><input id="case" type="checkbox"> Match case</label>
</header>
<div id="status"><span id="summary">This flame graph needs JavaScript.</span><span id="matched"></span></div>
<div id="view"><canvas id="canvas"></canvas><div id="spacer"></div></div>
<div id="tip"></div>
<script type="application/json" id="flamegraph-data">)FG";

const char* const FlameGraphTemplate::SCRIPT = R"FG(</script>
<script>
"use strict";
(function () {
	var ROW = 16, PAD = 3, FONT = "12px ui-monospace, Menlo, Consolas, \"DejaVu Sans Mono\", monospace";
	var MAX_ROWS = Math.floor(15000000 / ROW); // browsers cap an element's height near 16M px
	var TYPE_NAMES = ["Interpreted", "JIT compiled", "Inlined", "Native", "C++", "Kernel", "C1 compiled"];
	var $ = function (id) { return document.getElementById(id); };
	var view = $("view"), canvas = $("canvas"), spacer = $("spacer"), tip = $("tip");
	var summary = $("summary"), matched = $("matched"), search = $("search");
	var ctx = canvas.getContext("2d");

	// The tree: five integers per node, depth first (see FlameGraphHtml.h).
	var data;
	try {
		data = JSON.parse($("flamegraph-data").textContent);
	} catch (e) {
		summary.textContent = "The embedded flame graph cannot be read: " + e.message;
		return;
	}
	var titles = data.titles, units = String(data.units || "samples");
	var raw = data.nodes, count = raw.length / 5;
	data.nodes = null;
	var title = new Int32Array(count), type = new Uint8Array(count);
	var total = new Float64Array(count), self = new Float64Array(count);
	var parent = new Int32Array(count), depth = new Int32Array(count), end = new Int32Array(count);
	var maxDepth = decode();
	raw = null;
	if (maxDepth < 0) {
		summary.textContent = "The embedded flame graph is malformed.";
		return;
	}

	function decode() {
		// end[i]: one past the last node of i's subtree, so i's children are
		// i + 1, end[i + 1], ... and a subtree is skipped in one step.
		if (count < 1 || count !== Math.floor(count) || !Array.isArray(titles)) return -1;
		var openNode = new Int32Array(count), openLeft = new Float64Array(count), open = 0, deepest = 0;
		for (var i = 0; i < count; i++) {
			var k = i * 5, children = raw[k + 4];
			title[i] = raw[k];
			type[i] = raw[k + 1];
			total[i] = raw[k + 2];
			self[i] = raw[k + 3];
			if (!(raw[k] >= 0 && raw[k] < titles.length && children >= 0)) return -1;
			if (i === 0) {
				parent[0] = -1;
			} else {
				if (open === 0) return -1;
				parent[i] = openNode[open - 1];
				depth[i] = depth[parent[i]] + 1;
				openLeft[open - 1]--;
				if (depth[i] > deepest) deepest = depth[i];
			}
			openNode[open] = i;
			openLeft[open++] = children;
			while (open > 0 && openLeft[open - 1] === 0) end[openNode[--open]] = i + 1;
		}
		return open === 0 ? deepest : -1;
	}

	var rows = Math.min(maxDepth + 1, MAX_ROWS);
	var zoom = 0, icicle = false, matchTitle = null, hovered = -1;
	var width = 0, height = 0, ratio = 1, charWidth = 7, minWidth = 1;
	var pendingDraw = false;
	$("heading").textContent = String(data.title || "Flame graph");

	// Colours: a hue band per frame type, a shade picked by a hash of the name.
	var SHADES = 12;
	var BANDS = [
		[205, 25, 55, 66], // interpreted
		[95, 45, 52, 55], // JIT compiled
		[170, 20, 50, 55], // inlined
		[348, 14, 66, 63], // native
		[46, 14, 72, 54], // C++
		[26, 12, 88, 58], // kernel
		[70, 20, 50, 52], // C1 compiled
		[220, 20, 18, 74], // thread
		[0, 0, 0, 78] // root
	];
	var THREAD = 7, ROOT = 8, MATCH_COLOUR = "#e43ee4";
	var palette = [];
	BANDS.forEach(function (band) {
		for (var s = 0; s < SHADES; s++) {
			var hue = (band[0] + band[1] * s / (SHADES - 1)) % 360;
			palette.push("hsl(" + hue.toFixed(1) + "," + band[2] + "%," + (band[3] + (s % 3 - 1) * 3) + "%)");
		}
	});
	var shade = new Int8Array(titles.length).fill(-1);
	var THREAD_NAME = /^\[(.* )?tid=\d+\]$/;

	function colourOf(node) {
		var t = title[node], s = shade[t];
		if (s < 0) {
			var name = String(titles[t]), h = 0x811c9dc5;
			for (var i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
			s = shade[t] = (h >>> 0) % SHADES;
		}
		var band = node === 0 ? ROOT : depth[node] === 1 && type[node] === 3 && THREAD_NAME.test(titles[t]) ? THREAD
			: type[node] < 7 ? type[node] : 3;
		return palette[band * SHADES + s];
	}

	function nameOf(node) {
		return node === 0 ? "all" : String(titles[title[node]]);
	}

	// Geometry: row r of the content is depth r (icicle) or rows-1-r (flame).
	function rowTop(d) {
		return (icicle ? d : rows - 1 - d) * ROW - view.scrollTop;
	}

	function resize() {
		var contentHeight = rows * ROW;
		height = Math.min(view.clientHeight, contentHeight);
		spacer.style.height = (contentHeight - height) + "px";
		width = view.clientWidth;
		ratio = window.devicePixelRatio || 1;
		minWidth = 1 / ratio;
		canvas.style.width = width + "px";
		canvas.style.height = height + "px";
		canvas.width = Math.round(width * ratio);
		canvas.height = Math.round(height * ratio);
		ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
		ctx.font = FONT;
		ctx.textBaseline = "middle";
		charWidth = ctx.measureText("M").width || 7;
	}

	function requestDraw() {
		if (pendingDraw) return;
		pendingDraw = true;
		window.requestAnimationFrame(function () {
			pendingDraw = false;
			draw();
		});
	}

	function draw() {
		ctx.clearRect(0, 0, width, height);
		if (!(total[zoom] > 0)) return;
		var first = Math.floor(view.scrollTop / ROW), last = Math.ceil((view.scrollTop + height) / ROW) - 1;
		var dmin = icicle ? first : rows - 1 - last, dmax = Math.min(icicle ? last : rows - 1 - first, rows - 1);
		ctx.globalAlpha = 0.6;
		for (var a = parent[zoom]; a >= 0; a = parent[a]) {
			if (depth[a] >= dmin && depth[a] <= dmax) drawFrame(a, 0, width);
		}
		ctx.globalAlpha = 1;
		var scale = width / total[zoom], nodes = [zoom], lefts = [0];
		while (nodes.length > 0) {
			var node = nodes.pop(), x = lefts.pop(), d = depth[node];
			if (d >= dmin) drawFrame(node, x, total[node] * scale);
			if (d >= dmax) continue;
			for (var c = node + 1, e = end[node]; c < e; c = end[c]) {
				var w = total[c] * scale;
				if (w >= minWidth) {
					nodes.push(c);
					lefts.push(x);
				}
				x += w;
			}
		}
	}

	function drawFrame(node, x, w) {
		var y = rowTop(depth[node]);
		ctx.fillStyle = matchTitle !== null && node !== 0 && matchTitle[title[node]] ? MATCH_COLOUR : colourOf(node);
		ctx.fillRect(x, y, w > 2 ? w - 1 : w, ROW - 1);
		if (node === hovered) {
			ctx.strokeStyle = "#000";
			ctx.strokeRect(x + 0.5, y + 0.5, Math.max(w - 2, 0), ROW - 2);
		}
		var fit = Math.floor((w - 2 * PAD) / charWidth);
		if (fit < 3) return;
		var label = nameOf(node);
		if (label.length > fit) label = label.substring(0, fit - 1) + "\u2026";
		ctx.fillStyle = "#111";
		ctx.fillText(label, x + PAD, y + ROW / 2);
	}

	// The frame under a point: ancestors of the zoomed frame span the width;
	// below it, descend child by child to the row's depth.
	function frameAt(px, py) {
		var r = Math.floor((py + view.scrollTop) / ROW);
		if (r < 0 || r >= rows || px < 0 || px >= width || !(total[zoom] > 0)) return null;
		var d = icicle ? r : rows - 1 - r, node = zoom, x = 0, scale = width / total[zoom];
		if (d < depth[zoom]) {
			while (depth[node] > d) node = parent[node];
			return {node: node, x: 0, w: width};
		}
		while (depth[node] < d) {
			var found = -1;
			for (var c = node + 1, e = end[node]; c < e; c = end[c]) {
				var w = total[c] * scale;
				if (px < x + w) {
					if (w >= minWidth) found = c;
					break;
				}
				x += w;
			}
			if (found < 0) return null;
			node = found;
		}
		return {node: node, x: x, w: total[node] * scale};
	}

	// Numbers.
	function grouped(value) {
		return Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	}

	function amount(value) {
		var text = grouped(value) + " " + units;
		if (units === "bytes" && value >= 1024) {
			var scaled = value, unit = -1, UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"];
			while (scaled >= 1024 && unit < UNITS.length - 1) {
				scaled /= 1024;
				unit++;
			}
			text += " (" + scaled.toFixed(scaled < 10 ? 2 : 1) + " " + UNITS[unit] + ")";
		}
		return text;
	}

	function percent(part, whole) {
		return whole > 0 ? (100 * part / whole).toFixed(2) + "%" : "-";
	}

	// Zoom, search and the status line.
	function zoomTo(node) {
		zoom = node;
		hideTip();
		updateStatus();
		requestDraw();
	}

	function updateStatus() {
		var text = "Total " + amount(total[0]) + " \u00b7 " + grouped(count) + " frames \u00b7 depth " + maxDepth;
		if (rows <= maxDepth) text += " (the first " + grouped(rows) + " levels shown)";
		if (zoom !== 0) text += " \u00b7 zoomed to " + nameOf(zoom) + ": " + percent(total[zoom], total[0]);
		summary.textContent = text;
		if (matchTitle === null) {
			matched.textContent = "";
			return;
		}
		// Count a matched frame's subtree once, even if it matches again inside.
		var sum = 0, covered = false;
		for (var a = zoom; a > 0 && !covered; a = parent[a]) covered = matchTitle[title[a]] === 1;
		if (covered) {
			sum = total[zoom];
		} else {
			for (var i = zoom + 1, e = end[zoom]; i < e;) {
				if (matchTitle[title[i]]) {
					sum += total[i];
					i = end[i];
				} else {
					i++;
				}
			}
		}
		matched.textContent = "Matched " + amount(sum) + " (" + percent(sum, total[zoom]) +
			(zoom !== 0 ? " of the zoomed frame, " + percent(sum, total[0]) + " of all)" : ")");
	}

	var lowerTitles = null;

	function applySearch() {
		var text = search.value, caseSensitive = $("case").checked, test;
		search.classList.remove("invalid");
		matchTitle = null;
		if (text !== "") {
			if ($("regex").checked) {
				var pattern;
				try {
					pattern = new RegExp(text, caseSensitive ? "" : "i");
				} catch (e) {
					search.classList.add("invalid");
					search.title = e.message;
				}
				if (pattern) test = function (t) { return pattern.test(titles[t]); };
			} else if (caseSensitive) {
				test = function (t) { return String(titles[t]).indexOf(text) >= 0; };
			} else {
				if (lowerTitles === null) lowerTitles = titles.map(function (s) { return String(s).toLowerCase(); });
				var needle = text.toLowerCase();
				test = function (t) { return lowerTitles[t].indexOf(needle) >= 0; };
			}
		}
		if (test) {
			matchTitle = new Uint8Array(titles.length);
			for (var t = 1; t < titles.length; t++) matchTitle[t] = test(t) ? 1 : 0;
			search.title = "";
		}
		updateStatus();
		requestDraw();
	}

	// The tooltip.
	function showTip(frame, clientX, clientY) {
		var node = frame.node;
		var lines = "Type: " + (node === 0 ? "root" : TYPE_NAMES[type[node]] || "type " + type[node]) +
			"\nTotal: " + amount(total[node]) + " (" + percent(total[node], total[0]) +
			(zoom !== 0 && depth[node] >= depth[zoom] ? ", " + percent(total[node], total[zoom]) + " of the zoomed frame" : "") + ")" +
			"\nSelf: " + amount(self[node]) + " (" + percent(self[node], total[0]) + ")";
		tip.textContent = "";
		var name = document.createElement("b");
		name.textContent = nameOf(node);
		tip.appendChild(name);
		tip.appendChild(document.createTextNode(lines));
		tip.style.display = "block";
		var left = clientX + 14, top = clientY + 16;
		if (left + tip.offsetWidth > window.innerWidth - 4) left = Math.max(4, clientX - tip.offsetWidth - 8);
		if (top + tip.offsetHeight > window.innerHeight - 4) top = Math.max(4, clientY - tip.offsetHeight - 8);
		tip.style.left = left + "px";
		tip.style.top = top + "px";
	}

	function hideTip() {
		tip.style.display = "none";
		if (hovered >= 0) {
			hovered = -1;
			requestDraw();
		}
	}

	function pointed(event) {
		var box = canvas.getBoundingClientRect();
		return frameAt(event.clientX - box.left, event.clientY - box.top);
	}

	canvas.addEventListener("mousemove", function (event) {
		var frame = pointed(event);
		canvas.style.cursor = frame ? "pointer" : "default";
		if (!frame) {
			hideTip();
			return;
		}
		if (frame.node !== hovered) {
			hovered = frame.node;
			requestDraw();
		}
		showTip(frame, event.clientX, event.clientY);
	});
	canvas.addEventListener("mouseleave", hideTip);
	canvas.addEventListener("click", function (event) {
		var frame = pointed(event);
		if (frame) zoomTo(frame.node);
	});
	view.addEventListener("scroll", function () {
		hideTip();
		requestDraw();
	});
	window.addEventListener("resize", function () {
		resize();
		requestDraw();
	});
	$("reset").addEventListener("click", function () { zoomTo(0); });
	$("flip").addEventListener("click", function () {
		var fromBottom = view.scrollHeight - view.clientHeight - view.scrollTop;
		icicle = !icicle;
		this.textContent = icicle ? "Flame" : "Icicle";
		view.scrollTop = fromBottom;
		hideTip();
		requestDraw();
	});
	var searchTimer = 0;
	search.addEventListener("input", function () {
		clearTimeout(searchTimer);
		searchTimer = setTimeout(applySearch, 150);
	});
	$("regex").addEventListener("change", applySearch);
	$("case").addEventListener("change", applySearch);
	document.addEventListener("keydown", function (event) {
		if ((event.ctrlKey || event.metaKey) && event.key === "f") {
			event.preventDefault();
			search.focus();
			search.select();
		} else if (event.key === "Escape") {
			if (zoom !== 0) {
				zoomTo(0);
			} else if (search.value !== "") {
				search.value = "";
				applySearch();
			}
		}
	});

	resize();
	view.scrollTop = view.scrollHeight;
	updateStatus();
	draw();
})();
</script>
</body>
</html>
)FG";

} // namespace jfr
} // namespace asprof
