#include "HttpReporter.h"
#include "PyroscopeIngest.h"
#include "asprof/plugins/DescriptorStream.h"
#include "asprof/plugins/ErrorClassification.h"
#include "asprof/sdk/PluginContext.h"
#include "asprof/sdk/ProfileArchive.h"
#include "Poco/Base64Encoder.h"
#include "Poco/DeflatingStream.h"
#include "Poco/Logger.h"
#include <algorithm>
#include <functional>
#include <sstream>

namespace asprof {
namespace plugins {

namespace {

using Format = HttpReporterOptions::Format;
using Auth = HttpReporterOptions::Auth;

// compressionLevel = fast by default, as the Pyroscope Java agent (Deflater.BEST_SPEED):
// the agent's CPU matters more. The enum's values are zlib's levels. write(in) gives
// the bytes to compress, streamed: only the compressed ones reach out.
void gzip(std::ostream& out, sdk::ProfileArchive::CompressionLevel level, const std::function<void(std::ostream&)>& write)
{
	Poco::DeflatingOutputStream deflater(out, Poco::DeflatingStreamBuf::STREAM_GZIP, static_cast<int>(level));
	write(deflater);
	deflater.close();
	if (!deflater) throw Poco::IOException("gzip failed");
}

std::string basicCredentials(const std::string& user, const std::string& password)
{
	std::ostringstream out;
	Poco::Base64Encoder encoder(out);
	encoder.rdbuf()->setLineLength(0);
	encoder << user << ':' << password;
	encoder.close();
	return "Basic " + out.str();
}

// k=v&k2=v2, each part percent-encoded.
std::string formEncoded(const sdk::KeyValueList& pairs)
{
	std::string text;
	for (const auto& pair : pairs)
		text += (text.empty() ? "" : "&") + UrlTemplate::percentEncode(pair.first) + "=" + UrlTemplate::percentEncode(pair.second);
	return text;
}

std::string headerSafe(std::string text)
{
	std::replace_if(
		text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, ' ');
	return text;
}

bool endsWith(const std::string& text, const std::string& suffix)
{
	return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

HttpReporter::HttpReporter() = default;

HttpReporter::~HttpReporter() = default;

void HttpReporter::configure(sdk::PluginContext& context)
{
	_logger = &context.logger();
	_options = HttpReporterOptions::read(context);
	_userAgent = "asprof-agent/" + context.agentVersion();
	try
	{
		_http = std::make_unique<HttpClient>(_options.http);
	}
	catch (const Poco::Exception& error)
	{
		// The client names the key (caFile, clientCert, clientKey) and the file.
		throw Poco::InvalidArgumentException(context.configSource() + ": [" + context.sectionName() + "] " + error.message());
	}
	if (_options.auth == Auth::BearerFile)
	{
		_tokenFile = std::make_unique<TokenFile>(_options.bearerTokenFile);
		try
		{
			_tokenFile->token();
		}
		catch (const Poco::Exception& error)
		{
			_logger->warning("[%s] %s; reports are retried until it holds a token", context.sectionName(), error.message());
		}
	}
	if (_options.auth == Auth::Basic) _basicAuthorization = basicCredentials(_options.basicAuthUser, _options.basicAuthPassword);
	_pprof = std::make_unique<PprofDelivery>(_options.gzip);
	_tooOld = std::make_unique<TooOldProfiles>(*_logger);
	_logger->debug("[%s] sends %s profiles to %s", context.sectionName(), std::string(HttpReporterOptions::formatName(_options.format)),
		UrlTemplate::origin(_options.url.server()) + _options.url.path());
}

const HttpReporterOptions& HttpReporter::options() const
{
	return _options;
}

sdk::ReportResult HttpReporter::report(const sdk::Profile& profile)
{
	const std::string what = "http " + _options.method + " " + UrlTemplate::origin(_options.url.server());
	bool tooOld = false;
	sdk::ReportResult result;
	try
	{
		if (_options.isPprof())
			result = _pprof->deliver(
				profile, [&](const jfr::PprofProfile& part) { return send(requestFor(profile, part), jfr::kindName(part.kind), tooOld); });
		else
			result = send(requestFor(profile), "", tooOld);
	}
	catch (...)
	{
		// Building a request failed: the recording (or its conversion), or a
		// token file not there yet (a FileException without errno: Retry).
		result = classifyException(std::current_exception(), what);
	}
	if (_options.isPprof()) logWarnings(_pprof->takeWarnings());
	if (tooOld)
		_tooOld->rejected(profile);
	else if (result.isOk())
		_tooOld->endRun();
	if (result.isOk()) _logger->debug("%s: delivered profile %s", what, std::to_string(profile.seq));
	return result;
}

void HttpReporter::stop()
{
	if (_tooOld) _tooOld->endRun();
}

const PprofDelivery& HttpReporter::pprofDelivery() const
{
	return *_pprof;
}

const TooOldProfiles& HttpReporter::tooOldProfiles() const
{
	return *_tooOld;
}

sdk::ReportResult HttpReporter::send(const HttpRequest& request, const std::string& partName, bool& tooOld)
{
	// The query may carry an API key: the path only.
	const std::string what = "http " + request.method + " " + UrlTemplate::origin(request.uri) +
		request.target.substr(0, request.target.find('?')) + (partName.empty() ? "" : " (" + partName + ")");
	try
	{
		const HttpResponse response = _http->send(request);
		if (_options.isPyroscope() && TooOldProfiles::isTooOld(response))
		{
			tooOld = true;
			return sdk::ReportResult::fail(TooOldProfiles::message(what));
		}
		return classifyResponse(response, what);
	}
	catch (...)
	{
		return classifyException(std::current_exception(), what);
	}
}

void HttpReporter::logWarnings(const std::vector<std::string>& warnings)
{
	// A conversion's warning (an unfinished chunk, no interval setting) may
	// repeat every interval: each kind is logged the first time, then counted
	// (every 100th repeat logged again with the count), so none goes silent.
	for (const auto& warning : warnings)
	{
		// "recording of profile N: <what>": the kind is <what> without numbers.
		std::string kind;
		for (char c : warning.substr(warning.find(": ") == std::string::npos ? 0 : warning.find(": ") + 2))
		{
			if (c < '0' || c > '9') kind += c;
		}
		if (_warningsSeen.size() >= 64 && _warningsSeen.count(kind) == 0)
		{
			_logger->warning("pprof conversion: %s", warning); // too many kinds to count: each logged
			continue;
		}
		std::uint64_t& seen = _warningsSeen[kind];
		if (seen++ % 100 == 0)
			_logger->warning("pprof conversion: %s (%s)", warning,
				seen == 1 ? std::string("first of its kind") : std::to_string(seen) + " of this kind so far");
	}
}

HttpRequest HttpReporter::baseRequest()
{
	HttpRequest request;
	request.method = _options.method;
	request.uri = _options.url.server();
	request.headers = _options.headers;
	if (!hasHeader(request.headers, "User-Agent")) request.headers.emplace_back("User-Agent", _userAgent);
	if (!_options.tenant.empty()) request.headers.emplace_back("X-Scope-OrgID", _options.tenant);
	addAuthorization(request.headers);
	return request;
}

HttpRequest HttpReporter::requestFor(const sdk::Profile& profile, const jfr::PprofProfile& part)
{
	HttpRequest request = baseRequest();
	if (_options.format == Format::Pyroscope)
	{
		request.target = pyroscopeTarget(profile, PyroscopeIngest::pprofQuery(pyroscopeName(profile), profile));
		const std::string boundary = PyroscopeIngest::boundaryFor(part.data);
		request.headers.emplace_back("Content-Type", "multipart/form-data; boundary=" + boundary);
		request.body = PyroscopeIngest::multipartBody("profile", "profile.pprof", part.data, boundary);
		return request;
	}
	const std::string type = jfr::kindName(part.kind);
	request.target = _options.url.expand(profile, type);
	addFacts(profile, request.headers);
	request.headers.emplace_back("X-Asprof-Profile-Type", type);
	request.headers.emplace_back("Content-Type", "application/octet-stream");
	request.body = part.data;
	return request;
}

HttpRequest HttpReporter::requestFor(const sdk::Profile& profile)
{
	HttpRequest request = baseRequest();
	request.target = targetFor(profile);
	setBody(profile, request);
	return request;
}

std::string HttpReporter::targetFor(const sdk::Profile& profile)
{
	if (_options.format != Format::PyroscopeJfr) return _options.url.expand(profile);
	const unsigned sampleRate = _options.sampleRate != 0 ? _options.sampleRate : PyroscopeIngest::sampleRate(profile.profilerArgs);
	return pyroscopeTarget(profile, PyroscopeIngest::query(pyroscopeName(profile), profile, sampleRate));
}

std::string HttpReporter::pyroscopeName(const sdk::Profile& profile)
{
	const PyroscopeIngest::Name name = PyroscopeIngest::name(_options.appName, PyroscopeIngest::labelsOf(profile, _options.hostLabels));
	for (const auto& dropped : name.dropped)
	{
		if (_droppedLabelsLogged.insert(dropped).second) _logger->warning("label %s left out of the Pyroscope name (logged once)", dropped);
	}
	return name.text;
}

std::string HttpReporter::pyroscopeTarget(const sdk::Profile& profile, const std::string& ingestQuery)
{
	const std::string target = _options.url.expand(profile);
	const std::size_t question = target.find('?');
	std::string path = target.substr(0, question);
	const std::string query = question == std::string::npos ? std::string() : target.substr(question + 1) + "&";
	if (!endsWith(path, "/ingest")) path += endsWith(path, "/") ? "ingest" : "/ingest";
	return path + "?" + query + ingestQuery;
}

void HttpReporter::addAuthorization(HeaderList& headers)
{
	switch (_options.auth)
	{
	case Auth::None: return;
	case Auth::Bearer: headers.emplace_back("Authorization", "Bearer " + _options.bearerToken); return;
	case Auth::Basic: headers.emplace_back("Authorization", _basicAuthorization); return;
	case Auth::BearerFile:
		headers.emplace_back("Authorization", "Bearer " + _tokenFile->token());
		if (_tokenFile->changedOnLastCall()) _logger->debug("bearerTokenFile %s holds a new token", _tokenFile->path());
		return;
	}
}

void HttpReporter::setBody(const sdk::Profile& profile, HttpRequest& request) const
{
	switch (_options.format)
	{
	case Format::PyroscopeJfr: request.body = pyroscopeBody(profile, request.headers); return;
	case Format::Pyroscope:
	case Format::Pprof: throw Poco::IllegalStateException("pprof formats are sent per part"); // report() does not come here
	case Format::Raw:
		addFacts(profile, request.headers);
		request.headers.emplace_back("Content-Type", "application/octet-stream");
		if (!_options.gzip)
		{
			// Streamed from the recording's file to the connection: no copy at all.
			std::shared_ptr<const sdk::Recording> recording = profile.recording;
			request.bodyLength = recording->size();
			request.writeBody = [recording](std::ostream& out) { recording->copyTo(out); };
			return;
		}
		break;
	case Format::Zip: request.headers.emplace_back("Content-Type", "application/zip"); break;
	}
	// The zip and gzipped bodies are complete before they are sent (Content-Length):
	// staged once in a memory file, streamed from it (again on a resend).
	auto file = std::make_shared<MemoryFile>("body of profile " + std::to_string(profile.seq));
	const auto level = _options.compressionLevel;
	if (!_options.gzip)
		sdk::ProfileArchive::write(profile, file->out(), level);
	else if (_options.format == Format::Raw)
		gzip(file->out(), level, [&](std::ostream& out) { profile.recording->copyTo(out); });
	else
	{
		// The zip wants a seekable stream, the gzip stream is not: the zip has its own file.
		MemoryFile zip("zip of profile " + std::to_string(profile.seq));
		sdk::ProfileArchive::write(profile, zip.out(), level);
		zip.finish();
		gzip(file->out(), level, [&](std::ostream& out) { zip.copyTo(out); });
	}
	if (_options.gzip) request.headers.emplace_back("Content-Encoding", "gzip");
	request.bodyLength = file->finish();
	request.writeBody = [file](std::ostream& out) { file->copyTo(out); };
}

std::string HttpReporter::pyroscopeBody(const sdk::Profile& profile, HeaderList& headers) const
{
	// Pyroscope's /ingest ignores Content-Encoding; it gunzips the jfr part itself
	// (grafana/pyroscope pkg/og/convert/jfr/profile.go, decompress()). The part is
	// held (its boundary must not occur in it): gzipped, only the compressed bytes.
	std::string part;
	if (_options.gzip)
	{
		std::ostringstream out;
		gzip(out, _options.compressionLevel, [&](std::ostream& in) { profile.recording->copyTo(in); });
		part = out.str();
	}
	else
		part = profile.recording->readAll();
	const std::string boundary = PyroscopeIngest::boundaryFor(part);
	headers.emplace_back("Content-Type", "multipart/form-data; boundary=" + boundary);
	return PyroscopeIngest::multipartBody("jfr", "jfr", part, boundary);
}

void HttpReporter::addFacts(const sdk::Profile& profile, HeaderList& headers)
{
	headers.emplace_back("X-Asprof-Seq", std::to_string(profile.seq));
	headers.emplace_back("X-Asprof-Pid", std::to_string(profile.pid));
	headers.emplace_back("X-Asprof-Start", std::to_string(profile.start.epochMicroseconds() / 1000));
	headers.emplace_back("X-Asprof-End", std::to_string(profile.end.epochMicroseconds() / 1000));
	headers.emplace_back("X-Asprof-Reporting-Interval", std::to_string(profile.reportingInterval.totalMilliseconds()));
	headers.emplace_back("X-Asprof-Host-Kind", headerSafe(profile.host.kind));
	headers.emplace_back("X-Asprof-Host", formEncoded(profile.host.fields));
	headers.emplace_back("X-Asprof-Labels", formEncoded(profile.labels));
	headers.emplace_back("X-Asprof-Profiler-Args", headerSafe(profile.profilerArgs));
}

} // namespace plugins
} // namespace asprof
