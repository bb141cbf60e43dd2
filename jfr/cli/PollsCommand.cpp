#include "Commands.h"
#include "asprof/jfr/Saturating.h"
#include "asprof/jfr/PollCatch.h"
#include "asprof/jfr/Reader.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/Timestamp.h"
#include "Poco/UTF8String.h"
#include <iostream>
#include <map>
#include <set>

namespace asprof {
namespace jfr {
namespace cli {

namespace {

void readPolls(const Options& options, PollCatch& polls)
{
	for (const auto& input : openInputs(options))
	{
		Reader reader(input, true);
		reader.read(polls);
		if (reader.unfinished()) std::cerr << "asprof-jfr: warning: " << reader.unfinished()->message() << "\n";
	}
	if (polls.malformed() > 0)
		std::cerr << "asprof-jfr: warning: " << polls.malformed() << " " << PollCatch::EVENT_TYPE
				  << " event(s) without a 16-byte before/after payload left out\n";
}

std::string isoTime(std::int64_t nanos)
{
	// Whole microseconds rounded down, so a time before 1970 keeps a fraction in 0..999999.
	std::int64_t micros = nanos / 1000 - (nanos % 1000 < 0 ? 1 : 0);
	std::int64_t fractionMicros = micros % 1000000;
	if (fractionMicros < 0) fractionMicros += 1000000;
	Poco::Timestamp time(static_cast<Poco::Timestamp::TimeVal>(micros - fractionMicros));
	char fraction[16];
	std::snprintf(fraction, sizeof(fraction), "%06lld", static_cast<long long>(fractionMicros));
	return Poco::DateTimeFormatter::format(time, "%Y-%m-%dT%H:%M:%S.") + fraction + "Z";
}

std::string json(const std::string& text)
{
	return "\"" + Poco::UTF8::escape(text, true) + "\"";
}

std::string threadLabel(const std::string& name, std::int64_t tid)
{
	return name.empty() ? "tid " + std::to_string(tid) : name + " (tid " + std::to_string(tid) + ")";
}

// The stack, leaf first, cut at depth with "- N more frame(s)" as the Rust decoder does.
void printStack(std::ostream& out, const std::vector<std::string>& stack, int depth)
{
	if (stack.empty())
	{
		out << "    (no sample inside)\n";
		return;
	}
	std::size_t shown = std::min(stack.size(), static_cast<std::size_t>(depth));
	for (std::size_t i = 0; i < shown; ++i) out << "    " << stack[i] << "\n";
	if (shown < stack.size()) out << "    - " << stack.size() - shown << " more frame(s)\n";
}

void jsonStack(std::ostream& out, const std::vector<std::string>& stack, int depth)
{
	out << "[";
	std::size_t shown = std::min(stack.size(), static_cast<std::size_t>(depth));
	for (std::size_t i = 0; i < shown; ++i) out << (i ? "," : "") << json(stack[i]);
	out << "]";
}

std::int64_t micros(std::int64_t nanos)
{
	return nanos / 1000;
}

} // namespace

int runLongPolls(const Options& options)
{
	PollCatch result(options.includeNonPollcatch);
	readPolls(options, result);
	const auto& polls = result.polls();
	auto longEnough = [&](std::int64_t pollIndex) {
		return pollIndex >= 0 && polls[static_cast<std::size_t>(pollIndex)].durationNanos >= options.minDurationNanos;
	};
	writeOutput(options, [&](std::ostream& out) {
		if (options.samples)
		{
			bool first = true;
			if (options.json) out << "[";
			for (const auto& sample : result.samples())
			{
				if (!longEnough(sample.pollIndex) && !(options.includeNonPollcatch && sample.pollIndex < 0)) continue;
				const Poll* poll = sample.pollIndex >= 0 ? &polls[static_cast<std::size_t>(sample.pollIndex)] : nullptr;
				if (options.json)
				{
					out << (first ? "\n" : ",\n") << "{\"thread\":" << json(sample.thread) << ",\"tid\":" << sample.tid
						<< ",\"time_ns\":" << sample.timeNanos << ",\"kind\":" << (sample.wall ? "\"wall\"" : "\"cpu\"")
						<< ",\"poll_duration_ns\":" << (poll ? std::to_string(poll->durationNanos) : std::string("null")) << ",\"stack\":";
					jsonStack(out, sample.stack, options.stackDepth);
					out << "}";
				}
				else
				{
					out << "[" << isoTime(sample.timeNanos) << "] thread " << threadLabel(sample.thread, sample.tid);
					if (poll)
						out << " - poll of " << micros(poll->durationNanos) << "us\n";
					else
						out << " - not in a poll\n";
					printStack(out, sample.stack, options.stackDepth);
				}
				first = false;
			}
			if (options.json) out << (first ? "]\n" : "\n]\n");
			return;
		}
		bool first = true;
		if (options.json) out << "[";
		for (std::size_t i = 0; i < polls.size(); ++i)
		{
			const Poll& poll = polls[i];
			if (!longEnough(static_cast<std::int64_t>(i))) continue;
			if (options.json)
			{
				out << (first ? "\n" : ",\n") << "{\"thread\":" << json(poll.thread) << ",\"tid\":" << poll.tid
					<< ",\"start_ns\":" << poll.startNanos << ",\"duration_ns\":" << poll.durationNanos << ",\"samples\":" << poll.samples
					<< ",\"stack\":";
				jsonStack(out, poll.stack, options.stackDepth);
				out << "}";
			}
			else
			{
				out << "[" << isoTime(poll.startNanos) << "] thread " << threadLabel(poll.thread, poll.tid) << " - poll of "
					<< micros(poll.durationNanos) << "us, " << poll.samples << (poll.samples == 1 ? " sample\n" : " samples\n");
				printStack(out, poll.stack, options.stackDepth);
			}
			first = false;
		}
		if (options.json) out << (first ? "]\n" : "\n]\n");
	});
	return 0;
}

int runTimeline(const Options& options)
{
	PollCatch result(true);
	readPolls(options, result);
	const auto& polls = result.polls();
	std::int64_t origin = 0;
	bool haveOrigin = false;
	for (const auto& poll : polls) origin = haveOrigin ? std::min(origin, poll.startNanos) : poll.startNanos, haveOrigin = true;
	for (const auto& sample : result.samples())
		origin = haveOrigin ? std::min(origin, sample.timeNanos) : sample.timeNanos, haveOrigin = true;
	// Chrome's Trace Event Format: times in microseconds (fractions allowed).
	// (In double: a hostile recording's times may be 2^64 ns apart.)
	auto microseconds = [](double nanos) {
		char text[48];
		std::snprintf(text, sizeof(text), "%.3f", nanos / 1000.0);
		return std::string(text);
	};
	auto timestamp = [&](std::int64_t nanos) { return microseconds(saturating::difference(nanos, origin)); };
	writeOutput(options, [&](std::ostream& out) {
		out << "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"origin_epoch_ns\":" << origin
			<< ",\"producer\":\"asprof-jfr timeline\"},\n\"traceEvents\":[";
		bool first = true;
		auto next = [&]() -> std::ostream& {
			out << (first ? "\n" : ",\n");
			first = false;
			return out;
		};
		std::map<std::int64_t, std::string> threads;
		for (const auto& poll : polls) threads.emplace(poll.tid, poll.thread);
		for (const auto& sample : result.samples()) threads.emplace(sample.tid, sample.thread);
		next() << "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"profiled process\"}}";
		for (const auto& thread : threads)
		{
			next() << "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":" << thread.first
				   << ",\"args\":{\"name\":" << json(thread.second.empty() ? "tid " + std::to_string(thread.first) : thread.second) << "}}";
		}
		for (const auto& poll : polls)
		{
			next() << "{\"name\":\"poll\",\"cat\":\"pollcatch\",\"ph\":\"X\",\"pid\":1,\"tid\":" << poll.tid
				   << ",\"ts\":" << timestamp(poll.startNanos) << ",\"dur\":" << microseconds(static_cast<double>(poll.durationNanos))
				   << ",\"args\":{\"duration_us\":" << micros(poll.durationNanos) << ",\"samples\":" << poll.samples << ",\"stack\":";
			jsonStack(out, poll.stack, options.stackDepth);
			out << "}}";
		}
		for (const auto& sample : result.samples())
		{
			std::string name = sample.stack.empty() ? std::string(sample.wall ? "wall sample" : "cpu sample") : sample.stack.front();
			next() << "{\"name\":" << json(name) << ",\"cat\":" << (sample.wall ? "\"wall\"" : "\"cpu\"")
				   << ",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":" << sample.tid << ",\"ts\":" << timestamp(sample.timeNanos)
				   << ",\"args\":{\"stack\":";
			jsonStack(out, sample.stack, options.stackDepth);
			out << "}}";
		}
		out << "\n]}\n";
	});
	return 0;
}

} // namespace cli
} // namespace jfr
} // namespace asprof
