#include "EndpointSupport.h"
#include "TestSupport.h"
#include "Poco/File.h"
#include "Poco/Net/HTTPClientSession.h"
#include "Poco/Net/HTTPRequest.h"
#include "Poco/Net/HTTPResponse.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Pipe.h"
#include "Poco/PipeStream.h"
#include "Poco/Process.h"
#include "Poco/StreamCopier.h"
#include "Poco/String.h"
#include "Poco/TemporaryFile.h"
#include <sstream>

namespace asprof {
namespace test {

std::string HttpAnswer::header(const std::string& name) const
{
	for (const auto& entry : headers)
	{
		if (Poco::icompare(entry.first, name) == 0) return entry.second;
	}
	return "";
}

HttpAnswer httpGet(const std::string& address, const std::string& path, const std::string& authorization)
{
	Poco::Net::SocketAddress socketAddress(address);
	Poco::Net::HTTPClientSession session(socketAddress);
	session.setTimeout(Poco::Timespan(60, 0));
	Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path, Poco::Net::HTTPMessage::HTTP_1_1);
	if (!authorization.empty()) request.set("Authorization", authorization);
	session.sendRequest(request);
	Poco::Net::HTTPResponse response;
	std::istream& in = session.receiveResponse(response);
	HttpAnswer answer;
	answer.status = response.getStatus();
	answer.contentType = response.getContentType();
	for (const auto& field : response) answer.headers[field.first] = field.second;
	Poco::StreamCopier::copyToString(in, answer.body);
	return answer;
}

std::string pprofBinary()
{
	const std::string path = ASPROF_TEST_PPROF;
	if (Poco::File(path).exists()) return path;
	Poco::ProcessHandle build = Poco::Process::launch("bash", {ASPROF_TEST_BUILD_PPROF, path});
	int status = build.wait();
	return status == 0 && Poco::File(path).exists() ? path : std::string();
}

namespace {

std::string runPprof(const std::string& pprof, const std::vector<std::string>& arguments, const std::string& profile)
{
	Poco::TemporaryFile file;
	writeFile(file.path(), profile);
	TemporaryDirectory home;
	std::vector<std::string> args = arguments;
	args.push_back(file.path());
	Poco::Pipe out;
	Poco::Pipe err;
	Poco::Process::Env env{{"HOME", home.path()}, {"PPROF_TMPDIR", home.path()}, {"PPROF_BINARY_PATH", "/nonexistent"}};
	Poco::ProcessHandle process = Poco::Process::launch(pprof, args, nullptr, &out, &err, env);
	Poco::PipeInputStream outStream(out);
	Poco::PipeInputStream errStream(err);
	std::string text;
	std::string errors;
	Poco::StreamCopier::copyToString(outStream, text);
	Poco::StreamCopier::copyToString(errStream, errors);
	int status = process.wait();
	if (status != 0) throw Poco::RuntimeException("pprof cannot read the profile: " + errors.substr(0, 400));
	return text;
}

} // namespace

PprofRaw pprofRaw(const std::string& pprof, const std::string& profile)
{
	PprofRaw raw;
	raw.text = runPprof(pprof, {"-raw"}, profile);
	std::istringstream lines(raw.text);
	std::string line;
	bool inside = false;
	while (std::getline(lines, line))
	{
		if (line.compare(0, 9, "Duration:") == 0) raw.durationLine = line;
		if (line == "Samples:")
		{
			inside = true;
			std::getline(lines, line);
			raw.sampleTypes = Poco::trim(line);
			continue;
		}
		if (line.compare(0, 9, "Locations") == 0) inside = false;
		std::size_t colon = line.find(':');
		if (!inside || colon == std::string::npos) continue;
		std::istringstream values(line.substr(0, colon));
		std::vector<long double> row;
		long double value = 0;
		while (values >> value) row.push_back(value);
		if (row.empty() || !values.eof()) continue; // a label line
		if (raw.totals.size() < row.size()) raw.totals.resize(row.size(), 0);
		for (std::size_t i = 0; i < row.size(); ++i) raw.totals[i] += row[i];
	}
	return raw;
}

std::string pprofTop(const std::string& pprof, const std::string& profile, const std::string& sampleIndex)
{
	return runPprof(pprof, {"-top", "-nodecount=20", "-sample_index=" + sampleIndex}, profile);
}

std::string endpointIni(const std::string& endpoint, const std::string& profiler, const std::string& directory, const std::string& interval)
{
	return "[agent]\n"
		   "library = " ASPROF_FAKE_PROFILER "\n"
		   "pluginDir = " ASPROF_TEST_PLUGIN_DIR "\n"
		   "reportingInterval = " +
		interval +
		"\n"
		"reporter = main\n"
		"metadata = onprem\n"
		"flushTimeout = 5s\n"
		"statusLogInterval = 0\n"
		"[metadata.onprem]\n"
		"type = onprem\n"
		"library = " ASPROF_BUILD_PLUGIN_DIR "/libasprof-metadata-onprem.so\n"
		"[profiler]\n" +
		profiler +
		"\n"
		"[endpoint]\n" +
		endpoint +
		"\n"
		"[reporter.main]\n"
		"type = capture\n"
		"directory = " +
		directory + "\n";
}

} // namespace test
} // namespace asprof
