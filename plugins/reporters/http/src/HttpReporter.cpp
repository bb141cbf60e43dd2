#include "HttpReporter.h"
#include "PyroscopeIngest.h"
#include "asprof/plugins/ErrorClassification.h"
#include "asprof/sdk/PluginContext.h"
#include "asprof/sdk/ProfileArchive.h"
#include "Poco/Base64Encoder.h"
#include "Poco/DeflatingStream.h"
#include "Poco/Logger.h"
#include <algorithm>
#include <sstream>

namespace asprof {
namespace plugins {

namespace {

using Format = HttpReporterOptions::Format;
using Auth = HttpReporterOptions::Auth;

std::string gzipped(const std::string& data)
{
	// Fastest level, as the Pyroscope Java agent (Deflater.BEST_SPEED): the agent's CPU matters more.
	std::ostringstream out;
	Poco::DeflatingOutputStream deflater(out, Poco::DeflatingStreamBuf::STREAM_GZIP, Z_BEST_SPEED);
	deflater.write(data.data(), static_cast<std::streamsize>(data.size()));
	deflater.close();
	return out.str();
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
	_logger->debug("[%s] sends %s profiles to %s", context.sectionName(), std::string(HttpReporterOptions::formatName(_options.format)),
		UrlTemplate::origin(_options.url.server()) + _options.url.path());
}

const HttpReporterOptions& HttpReporter::options() const
{
	return _options;
}

sdk::ReportResult HttpReporter::report(const sdk::Profile& profile)
{
	std::string what = "http " + _options.method + " " + UrlTemplate::origin(_options.url.server());
	try
	{
		HttpRequest request = requestFor(profile);
		what += request.target.substr(0, request.target.find('?')); // the query may carry an API key
		sdk::ReportResult result = classifyResponse(_http->send(request), what);
		if (result.isOk()) _logger->debug("%s: delivered profile %s", what, std::to_string(profile.seq));
		return result;
	}
	catch (...)
	{
		// Not reportClassified(): what grows the path once the request is built.
		// A token file not there yet is a FileException without errno: Retry.
		return classifyException(std::current_exception(), what);
	}
}

HttpRequest HttpReporter::requestFor(const sdk::Profile& profile)
{
	HttpRequest request;
	request.method = _options.method;
	request.uri = _options.url.server();
	request.target = targetFor(profile);
	request.headers = _options.headers;
	if (!hasHeader(request.headers, "User-Agent")) request.headers.emplace_back("User-Agent", _userAgent);
	if (!_options.tenant.empty()) request.headers.emplace_back("X-Scope-OrgID", _options.tenant);
	addAuthorization(request.headers);
	request.body = bodyFor(profile, request.headers);
	return request;
}

std::string HttpReporter::targetFor(const sdk::Profile& profile)
{
	const std::string target = _options.url.expand(profile);
	if (_options.format != Format::Pyroscope) return target;

	const std::size_t question = target.find('?');
	std::string path = target.substr(0, question);
	const std::string query = question == std::string::npos ? std::string() : target.substr(question + 1) + "&";
	if (!endsWith(path, "/ingest")) path += endsWith(path, "/") ? "ingest" : "/ingest";

	const PyroscopeIngest::Name name = PyroscopeIngest::name(_options.appName, PyroscopeIngest::labelsOf(profile, _options.hostLabels));
	for (const auto& dropped : name.dropped)
	{
		if (_droppedLabelsLogged.insert(dropped).second) _logger->warning("label %s left out of the Pyroscope name (logged once)", dropped);
	}
	const unsigned sampleRate = _options.sampleRate != 0 ? _options.sampleRate : PyroscopeIngest::sampleRate(profile.profilerArgs);
	return path + "?" + query + PyroscopeIngest::query(name.text, profile, sampleRate);
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

std::string HttpReporter::bodyFor(const sdk::Profile& profile, HeaderList& headers)
{
	std::string body;
	switch (_options.format)
	{
	case Format::Pyroscope: return pyroscopeBody(profile.recording->readAll(), headers);
	case Format::Raw:
		addFacts(profile, headers);
		headers.emplace_back("Content-Type", "application/octet-stream");
		body = profile.recording->readAll();
		break;
	case Format::Zip:
		headers.emplace_back("Content-Type", "application/zip");
		body = sdk::ProfileArchive::toString(profile);
		break;
	}
	if (!_options.gzip) return body;
	headers.emplace_back("Content-Encoding", "gzip");
	return gzipped(body);
}

std::string HttpReporter::pyroscopeBody(const std::string& jfr, HeaderList& headers) const
{
	// Pyroscope's /ingest ignores Content-Encoding; it gunzips the jfr part itself
	// (grafana/pyroscope pkg/og/convert/jfr/profile.go, decompress()).
	const std::string part = _options.gzip ? gzipped(jfr) : jfr;
	const std::string boundary = PyroscopeIngest::boundaryFor(part);
	headers.emplace_back("Content-Type", "multipart/form-data; boundary=" + boundary);
	return PyroscopeIngest::multipartBody(part, boundary);
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

}
} // namespace asprof::plugins
