#include "Commands.h"
#include "asprof/jfr/Summary.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/Exception.h"
#include "Poco/JSON/Object.h"
#include "Poco/Timestamp.h"
#include <iomanip>
#include <iostream>
#include <sstream>

namespace asprof {
namespace jfr {
namespace cli {

namespace {

std::string isoTime(std::int64_t nanos)
{
	Poco::Timestamp time(static_cast<Poco::Timestamp::TimeVal>(nanos / 1000));
	return Poco::DateTimeFormatter::format(time, "%Y-%m-%dT%H:%M:%S.%iZ");
}

std::string seconds(std::int64_t nanos)
{
	std::ostringstream text;
	text << std::fixed << std::setprecision(3) << static_cast<double>(nanos) / 1e9 << " s";
	return text.str();
}

void printText(const Summary& summary, std::ostream& out)
{
	out << summary.input << "\n";
	out << "  JFR version:  " << summary.jfrVersion << "\n";
	out << "  chunks:       " << summary.chunks << "\n";
	out << "  size:         " << summary.bytes << " bytes\n";
	out << "  start:        " << isoTime(summary.startNanos) << "\n";
	out << "  duration:     " << seconds(summary.durationNanos) << "\n";
	std::string version = summary.profilerVersion();
	out << "  profiler:     " << (version.empty() ? "unknown" : "async-profiler " + version) << "\n";
	if (!summary.settings.empty())
	{
		out << "  settings:    ";
		for (const auto& setting : summary.settings) out << " " << setting.first << "=" << setting.second;
		out << "\n";
	}
	std::size_t width = 10;
	for (const auto& event : summary.events) width = std::max(width, event.first.size());
	out << "\n  " << std::left << std::setw(static_cast<int>(width)) << "event type" << std::right << std::setw(12) << "count"
		<< std::setw(16) << "bytes"
		<< "\n";
	// Most frequent first, as `jfr summary` does; equal counts by name.
	std::vector<std::pair<std::string, Summary::EventType>> events(summary.events.begin(), summary.events.end());
	std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) { return a.second.count > b.second.count; });
	for (const auto& event : events)
	{
		out << "  " << std::left << std::setw(static_cast<int>(width)) << event.first << std::right << std::setw(12) << event.second.count
			<< std::setw(16) << event.second.bytes << "\n";
	}
}

void printJson(const Summary& summary, std::ostream& out)
{
	Poco::JSON::Object json(Poco::JSON_PRESERVE_KEY_ORDER);
	json.set("file", summary.input);
	json.set("bytes", summary.bytes);
	json.set("jfrVersion", summary.jfrVersion);
	json.set("chunks", summary.chunks);
	json.set("start", isoTime(summary.startNanos));
	json.set("startNanos", summary.startNanos);
	json.set("durationNanos", summary.durationNanos);
	json.set("profilerVersion", summary.profilerVersion());
	Poco::JSON::Object settings(Poco::JSON_PRESERVE_KEY_ORDER);
	for (const auto& setting : summary.settings) settings.set(setting.first, setting.second);
	json.set("settings", settings);
	Poco::JSON::Object events(Poco::JSON_PRESERVE_KEY_ORDER);
	for (const auto& event : summary.events)
	{
		Poco::JSON::Object counts(Poco::JSON_PRESERVE_KEY_ORDER);
		counts.set("count", event.second.count);
		counts.set("bytes", event.second.bytes);
		events.set(event.first, counts);
	}
	json.set("events", events);
	json.stringify(out);
	out << "\n";
}

} // namespace

int runSummary(const Options& options, std::ostream& out)
{
	bool first = true;
	for (const auto& path : options.inputs)
	{
		Summary summary = Summary::of(Input::open(path));
		if (!summary.warning.empty()) std::cerr << "asprof-jfr: warning: " << summary.warning << "\n";
		if (options.json)
		{
			printJson(summary, out);
			continue;
		}
		if (!first) out << "\n";
		first = false;
		printText(summary, out);
	}
	out.flush();
	if (!out) throw Poco::WriteFileException("cannot write to standard output");
	return 0;
}

} // namespace cli
} // namespace jfr
} // namespace asprof
