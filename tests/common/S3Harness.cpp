#include "S3Harness.h"
#include "LoopbackServer.h"
#include "TestSupport.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/NumberParser.h"
#include "Poco/Timestamp.h"
#include <iostream>
#include <poll.h>

#ifndef ASPROF_TEST_NODE_DIR
#error "ASPROF_TEST_NODE_DIR (tests/node in the source tree) must be defined"
#endif

namespace asprof {
namespace test {

namespace {

const char* const NODE_PACKAGES[] = {"s3rver", "@smithy/signature-v4", "@aws-crypto/sha256-js", "@aws-sdk/client-s3"};

std::string jsonString(const Poco::JSON::Object::Ptr& object, const std::string& name)
{
	return object->has(name) ? object->getValue<std::string>(name) : std::string();
}

} // namespace

S3Harness::S3Harness(const std::string& bucket, const std::string& accessKey, const std::string& secretKey, Poco::Timespan startTimeout):
	_bucket(bucket),
	_accessKey(accessKey),
	_secretKey(secretKey)
{
	const std::vector<std::string> arguments{nodeDirectory() + "/s3-harness.mjs", "--bucket", bucket, "--access-key", accessKey,
		"--secret-key", secretKey, "--region", "us-east-1"};
	_process = std::make_unique<Poco::ProcessHandle>(
		Poco::Process::launch(nodeCommand(), arguments, nodeDirectory(), &_stdin, &_stdout, &_stderr));
	_stderrReader = std::thread([this] { drainStderr(); });
	try
	{
		readReadyLine(startTimeout);
	}
	catch (...)
	{
		stop();
		throw;
	}
}

S3Harness::~S3Harness()
{
	stop();
}

void S3Harness::readReadyLine(Poco::Timespan timeout)
{
	Poco::Timestamp deadline;
	deadline += timeout;
	std::string line;
	while (line.find('\n') == std::string::npos)
	{
		const Poco::Timestamp::TimeDiff remaining = deadline - Poco::Timestamp();
		pollfd ready{_stdout.readHandle(), POLLIN, 0};
		if (remaining <= 0 || ::poll(&ready, 1, static_cast<int>(remaining / 1000) + 1) <= 0)
			throw Poco::RuntimeException("the S3 harness did not get ready in time; its log:\n" + log());
		char buffer[4096];
		const int received = _stdout.readBytes(buffer, sizeof(buffer));
		if (received <= 0) throw Poco::RuntimeException("the S3 harness exited before it was ready; its log:\n" + log());
		line.append(buffer, static_cast<std::size_t>(received));
	}
	Poco::JSON::Object::Ptr ready;
	try
	{
		ready = Poco::JSON::Parser().parse(line.substr(0, line.find('\n'))).extract<Poco::JSON::Object::Ptr>();
	}
	catch (const Poco::Exception& error)
	{
		throw Poco::RuntimeException("the S3 harness's ready line is not JSON (" + error.displayText() + "): " + line);
	}
	_endpoint = jsonString(ready, "endpoint");
	_s3rverEndpoint = jsonString(ready, "s3rver");
	if (_endpoint.empty() || _s3rverEndpoint.empty())
		throw Poco::RuntimeException("the S3 harness's ready line lacks its endpoints: " + line);
}

void S3Harness::drainStderr()
{
	// Read to the end so the harness never blocks on a full pipe; keep it for log().
	const bool verbose = Poco::Environment::has("ASPROF_TEST_VERBOSE");
	char buffer[4096];
	int received = 0;
	while ((received = _stderr.readBytes(buffer, sizeof(buffer))) > 0)
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_log.append(buffer, static_cast<std::size_t>(received));
		if (verbose) std::cerr.write(buffer, received);
	}
}

void S3Harness::stop()
{
	_stdin.close(Poco::Pipe::CLOSE_WRITE);
	if (!waitUntil([this] { return _process->tryWait() != -1; }, Poco::Timespan(10, 0)))
	{
		Poco::Process::kill(*_process);
		_process->wait();
	}
	if (_stderrReader.joinable()) _stderrReader.join();
}

const std::string& S3Harness::endpoint() const
{
	return _endpoint;
}

const std::string& S3Harness::s3rverEndpoint() const
{
	return _s3rverEndpoint;
}

const std::string& S3Harness::bucket() const
{
	return _bucket;
}

const std::string& S3Harness::accessKey() const
{
	return _accessKey;
}

const std::string& S3Harness::secretKey() const
{
	return _secretKey;
}

std::map<std::string, std::string> S3Harness::readObjects() const
{
	std::map<std::string, std::string> objects;
	for (auto& [key, object] : readObjectsWithMetadata()) objects.emplace(key, std::move(object.bytes));
	return objects;
}

std::map<std::string, S3Harness::Object> S3Harness::readObjectsWithMetadata() const
{
	TemporaryDirectory output;
	int exitCode = 0;
	const std::string text = runProcess(nodeCommand(),
		{nodeDirectory() + "/s3-read.mjs", "--endpoint", _endpoint, "--bucket", _bucket, "--out", output.path(), "--access-key", _accessKey,
			"--secret-key", _secretKey, "--region", "us-east-1"},
		nodeDirectory(), exitCode);
	if (exitCode != 0) throw Poco::RuntimeException("s3-read.mjs failed (exit " + std::to_string(exitCode) + "): " + text);

	std::map<std::string, Object> objects;
	const auto index = Poco::JSON::Parser().parse(readFile(output.file("index.json"))).extract<Poco::JSON::Array::Ptr>();
	for (std::size_t i = 0; i < index->size(); ++i)
	{
		const Poco::JSON::Object::Ptr entry = index->getObject(static_cast<unsigned>(i));
		const std::string key = jsonString(entry, "key");
		Object object;
		object.bytes = readFile(output.file(key));
		object.contentType = jsonString(entry, "contentType");
		if (const Poco::JSON::Object::Ptr metadata = entry->getObject("metadata"))
			for (const auto& field : *metadata) object.metadata[field.first] = field.second.convert<std::string>();
		objects.emplace(key, std::move(object));
	}
	return objects;
}

std::string S3Harness::log() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _log;
}

bool S3Harness::available(std::string& why)
{
	int exitCode = 0;
	std::string version;
	try
	{
		version = runProcess(nodeCommand(), {"--version"}, nodeDirectory(), exitCode);
	}
	catch (const Poco::Exception& error)
	{
		exitCode = -1;
		version = error.displayText();
	}
	int major = 0;
	if (exitCode != 0 || version.size() < 2 || version[0] != 'v' ||
		!Poco::NumberParser::tryParse(version.substr(1, version.find('.') - 1), major))
	{
		why = "node (" + nodeCommand() + ") cannot be run; install nodejs (>= 18) or set NODE";
		return false;
	}
	if (major < 18)
	{
		why = "node " + version.substr(0, version.find('\n')) + " is too old (18 or later is needed)";
		return false;
	}
	for (const char* package : NODE_PACKAGES)
	{
		if (!Poco::File(nodeDirectory() + "/node_modules/" + package).exists())
		{
			why = std::string(package) + " is not installed in tests/node/node_modules; run: npm ci --prefix " + nodeDirectory();
			return false;
		}
	}
	return true;
}

std::string S3Harness::nodeCommand()
{
	return Poco::Environment::get("NODE", "node");
}

std::string S3Harness::nodeDirectory()
{
	return ASPROF_TEST_NODE_DIR;
}

} // namespace test
} // namespace asprof
