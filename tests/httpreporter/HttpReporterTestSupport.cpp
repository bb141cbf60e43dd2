#include "HttpReporterTestSupport.h"
#include "SectionContext.h"
#include "TestSupport.h"
#include "cppunit/TestAssert.h"
#include "Poco/Exception.h"
#include "Poco/InflatingStream.h"
#include "Poco/StreamCopier.h"
#include "Poco/String.h"
#include "Poco/URI.h"
#include <algorithm>
#include <iostream>
#include <sstream>

namespace asprof {
namespace test {

namespace {

std::unique_ptr<plugins::HttpReporter> configured(const Keys& keys)
{
	auto context = makeSectionContext("reporter.http", keys, "test.ini");
	auto reporter = std::make_unique<plugins::HttpReporter>();
	reporter->configure(*context);
	context->checkUnknownKeys();
	return reporter;
}

std::string decoded(const std::string& text)
{
	std::string out;
	Poco::URI::decode(text, out);
	return out;
}

bool isLabelNameRune(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

bool isServiceName(const std::string& name)
{
	return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return isLabelNameRune(c) || c == '-' || c == '/'; });
}

} // namespace

std::unique_ptr<plugins::HttpReporter> startHttpReporter(const Keys& keys)
{
	auto reporter = configured(keys);
	reporter->start();
	return reporter;
}

std::string httpConfigError(const Keys& keys)
{
	try
	{
		configured(keys);
	}
	catch (const Poco::Exception& error)
	{
		return error.displayText();
	}
	CPPUNIT_FAIL("the configuration should have been refused");
	return std::string();
}

std::string testJfr()
{
	return readFile(dataFile("cpu-wall.jfr"));
}

std::vector<std::pair<std::string, std::string>> queryParameters(const std::string& target)
{
	std::vector<std::pair<std::string, std::string>> parameters;
	const std::size_t question = target.find('?');
	if (question == std::string::npos) return parameters;
	std::istringstream query(target.substr(question + 1));
	std::string pair;
	while (std::getline(query, pair, '&'))
	{
		const std::size_t equals = pair.find('=');
		parameters.emplace_back(decoded(pair.substr(0, equals)), equals == std::string::npos ? "" : decoded(pair.substr(equals + 1)));
	}
	return parameters;
}

std::string queryParameter(const std::string& target, const std::string& name)
{
	std::vector<std::string> values;
	for (const auto& parameter : queryParameters(target))
		if (parameter.first == name) values.push_back(parameter.second);
	CPPUNIT_ASSERT_EQUAL_MESSAGE(name + " in " + target, std::size_t(1), values.size());
	return values[0];
}

std::string FormPart::header(const std::string& name) const
{
	for (const auto& field : headers)
		if (Poco::icompare(field.first, name) == 0) return field.second;
	return std::string();
}

std::vector<FormPart> multipartParts(const std::string& contentType, const std::string& body)
{
	const std::string prefix = "multipart/form-data; boundary=";
	CPPUNIT_ASSERT_EQUAL_MESSAGE(contentType, std::size_t(0), contentType.find(prefix));
	const std::string boundary = contentType.substr(prefix.size());
	CPPUNIT_ASSERT_MESSAGE(contentType, !boundary.empty() && boundary.size() <= 70 && boundary.find_first_of(" \";") == std::string::npos);
	const std::string delimiter = "\r\n--" + boundary;
	CPPUNIT_ASSERT_EQUAL_MESSAGE("the body starts with the first delimiter", std::size_t(0), body.find(delimiter.substr(2) + "\r\n"));
	std::vector<FormPart> parts;
	std::size_t at = boundary.size() + 4; // past "--" boundary CRLF
	for (;;)
	{
		const std::size_t headersEnd = body.find("\r\n\r\n", at);
		CPPUNIT_ASSERT_MESSAGE("a part's header block ends with an empty line", headersEnd != std::string::npos);
		FormPart part;
		std::istringstream lines(body.substr(at, headersEnd - at));
		std::string line;
		while (std::getline(lines, line))
		{
			if (!line.empty() && line.back() == '\r') line.pop_back();
			const std::size_t colon = line.find(':');
			CPPUNIT_ASSERT_MESSAGE("part header line: " + line, colon != std::string::npos);
			part.headers.emplace_back(line.substr(0, colon), Poco::trim(line.substr(colon + 1)));
		}
		const std::size_t partEnd = body.find(delimiter, headersEnd + 4);
		CPPUNIT_ASSERT_MESSAGE("a part ends with the delimiter", partEnd != std::string::npos);
		part.body = body.substr(headersEnd + 4, partEnd - headersEnd - 4);
		parts.push_back(part);
		at = partEnd + delimiter.size();
		if (body.compare(at, 4, "--\r\n") == 0)
		{
			CPPUNIT_ASSERT_EQUAL_MESSAGE("nothing after the closing delimiter", body.size(), at + 4);
			return parts;
		}
		CPPUNIT_ASSERT_MESSAGE("CRLF after a delimiter", body.compare(at, 2, "\r\n") == 0);
		at += 2;
	}
}

std::string gunzip(const std::string& bytes)
{
	std::istringstream in(bytes);
	Poco::InflatingInputStream inflater(in, Poco::InflatingStreamBuf::STREAM_GZIP);
	std::string out;
	Poco::StreamCopier::copyToString(inflater, out);
	return out;
}

std::map<std::string, std::string> pyroscopeLabelSet(const std::string& name)
{
	enum State
	{
		NAME,
		LABEL_SET,
		VALUE,
		DONE
	};
	std::map<std::string, std::string> labels;
	State state = NAME;
	std::string key;
	std::string value;
	for (char c : name + "{")
	{
		if (state == NAME)
		{
			if (c != '{')
			{
				value += c;
				continue;
			}
			state = LABEL_SET;
			const std::string service = Poco::trim(value);
			if (!isServiceName(service)) return {};
			labels["__name__"] = service;
		}
		else if (state == LABEL_SET)
		{
			if (c == '}')
				state = DONE;
			else if (c == '=')
			{
				state = VALUE;
				value.clear();
			}
			else
				key += c;
		}
		else if (state == VALUE)
		{
			if (c != ',' && c != '}')
			{
				value += c;
				continue;
			}
			state = LABEL_SET;
			const std::string labelName = Poco::trim(key);
			if (labelName != "__name__" && (labelName.empty() || !std::all_of(labelName.begin(), labelName.end(), isLabelNameRune)))
				return {};
			labels[labelName] = Poco::trim(value);
			key.clear();
		}
	}
	return labels;
}

LoopbackServer::Handler answer(int status, const std::string& body, const HeaderFields& headers)
{
	return [=](const LoopbackServer::Request&, LoopbackServer::Response& response) {
		response.status = status;
		response.body = body;
		response.headers = headers;
	};
}

const TestCertificates* testCertificates(const std::string& suite)
{
	static std::string why;
	static const bool available = TestCertificates::available(why);
	if (!available)
	{
		std::cout << "\nSKIPPED: " << suite << " TLS: " << why << std::endl;
		return nullptr;
	}
	static std::unique_ptr<TestCertificates> made;
	if (!made) made = std::make_unique<TestCertificates>();
	return made.get();
}

} // namespace test
} // namespace asprof
