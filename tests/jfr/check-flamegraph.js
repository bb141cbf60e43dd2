#!/usr/bin/env node
// Checks a flame graph written by `asprof-jfr flamegraph` (format in
// jfr/include/asprof/jfr/FlameGraphHtml.h):
//   node check-flamegraph.js FILE.html EXPECTED_TOTAL
// The embedded tree must decode, its root total must equal EXPECTED_TOTAL,
// every node's total must equal its self plus its children's totals, and the
// page outside the data must load nothing from elsewhere.
// Exit 0 when all holds, 1 when something does not, 2 on a usage error.
"use strict";
const fs = require("fs");

const OPEN = '<script type="application/json" id="flamegraph-data">';
const CLOSE = "</script>";

function fail(message) {
	console.error("check-flamegraph: " + message);
	process.exit(1);
}

function readData(html) {
	if (!/<\/html>\s*$/.test(html)) fail("the page does not end with </html> (cut short?)");
	const start = html.indexOf(OPEN);
	if (start < 0) fail("no flamegraph-data element");
	const from = start + OPEN.length;
	const stop = html.indexOf(CLOSE, from);
	if (stop < 0) fail("the data element is not closed");
	const text = html.substring(from, stop);
	if (/[<>&\u2028\u2029]/.test(text)) fail("the data holds an unescaped <, >, &, U+2028 or U+2029");
	const page = html.substring(0, from) + html.substring(stop);
	const external = /\b(src|href)\s*=|url\(|@import|fetch\(|XMLHttpRequest|WebSocket|EventSource/i.exec(page);
	if (external) fail("the page refers to something outside it: " + external[0]);
	try {
		return JSON.parse(text);
	} catch (e) {
		fail("the data is not JSON: " + e.message);
	}
}

function checkTree(data) {
	const titles = data.titles, nodes = data.nodes;
	if (data.version !== 1) fail("version " + data.version + ", expected 1");
	if (!Array.isArray(titles) || titles.some((t) => typeof t !== "string")) fail("titles is not an array of strings");
	if (titles[0] !== "") fail("titles[0] is not the root's empty name");
	if (!Array.isArray(nodes) || nodes.length === 0 || nodes.length % 5 !== 0) fail("nodes is not a list of 5-integer records");
	if (!nodes.every(Number.isSafeInteger)) fail("nodes holds something other than integers");
	const count = nodes.length / 5;
	// Iterative: a stack of open nodes with their children still to come and
	// the sum of the totals of those already read.
	const openNode = [], openLeft = [], openSum = [];
	const close = () => {
		const node = openNode.pop(), sum = openSum.pop();
		openLeft.pop();
		const total = nodes[node * 5 + 2], self = nodes[node * 5 + 3];
		if (total !== self + sum) fail(`node ${node} (${titles[nodes[node * 5]]}): total ${total} != self ${self} + children ${sum}`);
		if (openSum.length > 0) openSum[openSum.length - 1] += total;
	};
	for (let i = 0; i < count; i++) {
		const [title, type, total, self, children] = nodes.slice(i * 5, i * 5 + 5);
		if (title < 0 || title >= titles.length) fail(`node ${i}: title ${title} out of range`);
		if (type < 0 || type > 6) fail(`node ${i}: type ${type} out of range`);
		if (total < 0 || self < 0 || children < 0) fail(`node ${i}: negative value`);
		if (i === 0 ? title !== 0 : openNode.length === 0) fail(`node ${i}: not inside the root's subtree`);
		if (openLeft.length > 0) openLeft[openLeft.length - 1]--;
		openNode.push(i);
		openLeft.push(children);
		openSum.push(0);
		while (openNode.length > 0 && openLeft[openLeft.length - 1] === 0) close();
	}
	if (openNode.length > 0) fail(`the data ends inside node ${openNode[openNode.length - 1]}`);
	return {count, total: nodes[2]};
}

const args = process.argv.slice(2);
if (args.length !== 2 || !/^\d+$/.test(args[1])) {
	console.error("usage: node check-flamegraph.js FILE.html EXPECTED_TOTAL");
	process.exit(2);
}
let html;
try {
	html = fs.readFileSync(args[0], "utf8");
} catch (e) {
	fail(e.message);
}
const tree = checkTree(readData(html));
const expected = Number(args[1]);
if (!Number.isSafeInteger(expected)) fail(`expected total ${args[1]} is past 2^53`);
if (tree.total !== expected) fail(`total ${tree.total}, expected ${expected}`);
console.log(`check-flamegraph: ${args[0]}: ${tree.count} nodes, total ${tree.total}`);
