//
// HttpReporterTestSupport.h
//
// What the http reporter suites share: building reporters from keys, and
// independent readers for what the reporter puts on the wire (query strings,
// multipart forms, gzip, Pyroscope's label-set parser).
//

#ifndef Asprof_Tests_HttpReporterTestSupport_INCLUDED
#define Asprof_Tests_HttpReporterTestSupport_INCLUDED

#include "HttpReporter.h"
#include "LoopbackServer.h"
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace asprof {
namespace test {

using Keys = std::vector<std::pair<std::string, std::string>>;

/// Configures [reporter.http] type = http from keys as the agent does (unknown
/// keys are an error) and starts it.
std::unique_ptr<plugins::HttpReporter> startHttpReporter(const Keys& keys);

/// The message configure() (or the unknown-key check) throws for keys;
/// fails the test when the keys are accepted.
std::string httpConfigError(const Keys& keys);

/// The bytes of tests/data/cpu-wall.jfr (what makeProfile() reports).
std::string testJfr();

/// The query of a request-target, split at '&' and '=', percent-decoded, in order.
std::vector<std::pair<std::string, std::string>> queryParameters(const std::string& target);

/// The single parameter of that name; fails the test when absent or repeated.
std::string queryParameter(const std::string& target, const std::string& name);

struct FormPart
{
	HeaderFields headers;
	std::string body;
	std::string header(const std::string& name) const;
};

/// A strict RFC 7578 reader: the boundary from contentType
/// ("multipart/form-data; boundary=<b>"), the body exactly
/// "--b CRLF part (CRLF --b CRLF part)* CRLF --b-- CRLF". Fails the test otherwise.
std::vector<FormPart> multipartParts(const std::string& contentType, const std::string& body);

/// Decompresses a gzip stream (Poco::InflatingInputStream).
std::string gunzip(const std::string& bytes);

/// The labels Pyroscope's /ingest makes of name=..., the parser of
/// grafana/pyroscope api/model/labelset/labelset.go transcribed (the app
/// name under "__name__"); an empty map for a name it would reject.
std::map<std::string, std::string> pyroscopeLabelSet(const std::string& name);

/// A handler giving every request the same response.
LoopbackServer::Handler answer(int status, const std::string& body = "", const HeaderFields& headers = HeaderFields());

/// One test CA per runner, made on first use; nullptr (with a SKIPPED line)
/// when the openssl command is missing.
const TestCertificates* testCertificates(const std::string& suite);

} // namespace test
} // namespace asprof

#endif // Asprof_Tests_HttpReporterTestSupport_INCLUDED
