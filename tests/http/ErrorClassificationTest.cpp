//
// ErrorClassificationTest.cpp
//
// The one table of Retry and Fail every reporter uses: HTTP statuses, errno
// values, and exceptions, most of them thrown by real operations (sockets,
// files, parsers) rather than constructed.
//

#include "TestSupport.h"
#include "asprof/plugins/ErrorClassification.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/Net/NetException.h"
#include "Poco/Net/SSLException.h"
#include "Poco/Net/ServerSocket.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/NumberParser.h"
#include "Poco/URI.h"
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <future>
#include <new>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

using asprof::plugins::classifyException;
using asprof::plugins::classifyHttpStatus;
using asprof::plugins::isTransientErrno;
using asprof::plugins::reportClassified;
using asprof::sdk::ReportResult;
using asprof::test::TemporaryDirectory;
using asprof::test::writeFile;
using Status = ReportResult::Status;

namespace {

std::string statusName(Status status)
{
	return asprof::sdk::toString(status);
}

// What f() throws, classified; fails the test when f() does not throw.
template <class Function>
ReportResult classifiedThrow(Function&& f)
{
	try
	{
		f();
	}
	catch (...)
	{
		return classifyException(std::current_exception(), "upload");
	}
	CPPUNIT_FAIL("the operation should have thrown");
	return ReportResult();
}

void assertStatus(Status expected, const ReportResult& result)
{
	CPPUNIT_ASSERT_EQUAL_MESSAGE(result.message, statusName(expected), statusName(result.status));
	CPPUNIT_ASSERT_MESSAGE("no retryAfter for an exception: " + result.message, !result.retryAfter);
}

// errno of a real system call that fails, wrapped as the C++ library reports it.
std::system_error systemErrorOf(int result)
{
	CPPUNIT_ASSERT_EQUAL(-1, result);
	return std::system_error(errno, std::generic_category(), "write");
}

} // namespace

class ErrorClassificationTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ErrorClassificationTest);
	CPPUNIT_TEST(testSuccessStatusesAreOkWithoutMessage);
	CPPUNIT_TEST(testTimeoutThrottlingAndServerErrorsAreRetryWithRetryAfter);
	CPPUNIT_TEST(testOtherStatusesAreFail);
	CPPUNIT_TEST(testTransientErrnos);
	CPPUNIT_TEST(testPermanentErrnos);
	CPPUNIT_TEST(testSocketTimeoutIsRetry);
	CPPUNIT_TEST(testConnectionRefusedIsRetry);
	CPPUNIT_TEST(testNetErrorsAreRetryWhateverTheirCode);
	CPPUNIT_TEST(testCertificateAndProxyCredentialFailuresAreFail);
	CPPUNIT_TEST(testMissingPathIsFail);
	CPPUNIT_TEST(testFileErrorsWithPermanentErrnoAreFail);
	CPPUNIT_TEST(testDiskFullIsRetry);
	CPPUNIT_TEST(testIoErrorsWithoutErrnoAreRetryUnlessTypedPermanent);
	CPPUNIT_TEST(testBadInputIsFail);
	CPPUNIT_TEST(testOutOfMemoryIsRetry);
	CPPUNIT_TEST(testStandardLibraryErrorsFollowErrno);
	CPPUNIT_TEST(testEveryOtherExceptionIsFail);
	CPPUNIT_TEST(testMessageIsWhatAndDisplayText);
	CPPUNIT_TEST(testMessagesNeverCarryUrlCredentials);
	CPPUNIT_TEST(testReportClassifiedPassesResultsThrough);
	CPPUNIT_TEST(testReportClassifiedMapsWhatItThrows);
	CPPUNIT_TEST_SUITE_END();

public:
	void testSuccessStatusesAreOkWithoutMessage()
	{
		for (int status : {200, 201, 204, 299})
		{
			const ReportResult result = classifyHttpStatus(status, "put: HTTP " + std::to_string(status), Poco::Timespan(5, 0));
			CPPUNIT_ASSERT_MESSAGE(std::to_string(status), result.isOk());
			CPPUNIT_ASSERT(result.message.empty() && !result.retryAfter);
		}
	}

	void testTimeoutThrottlingAndServerErrorsAreRetryWithRetryAfter()
	{
		for (int status : {408, 429, 500, 502, 503, 504, 599})
		{
			const ReportResult result = classifyHttpStatus(status, "put: HTTP " + std::to_string(status), Poco::Timespan(7, 0));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(std::to_string(status), std::string("retry"), statusName(result.status));
			CPPUNIT_ASSERT_EQUAL("put: HTTP " + std::to_string(status), result.message);
			CPPUNIT_ASSERT(result.retryAfter == Poco::Timespan(7, 0));
		}
		CPPUNIT_ASSERT(!classifyHttpStatus(503, "put").retryAfter);
	}

	void testOtherStatusesAreFail()
	{
		// Bad request, bad credentials, not found, conflict, payload too large, unprocessable,
		// redirects (not followed), informational, and nonsense.
		for (int status : {400, 401, 403, 404, 409, 413, 422, 499, 301, 304, 100, 600, 0, -1})
		{
			const ReportResult result = classifyHttpStatus(status, "put: HTTP " + std::to_string(status), Poco::Timespan(7, 0));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(std::to_string(status), std::string("fail"), statusName(result.status));
			CPPUNIT_ASSERT_EQUAL("put: HTTP " + std::to_string(status), result.message);
			CPPUNIT_ASSERT(!result.retryAfter);
		}
	}

	void testTransientErrnos()
	{
		for (int error : {ENOSPC, EDQUOT, EIO, EBUSY, ESTALE, EAGAIN, EWOULDBLOCK, EINTR, ETIMEDOUT, EMFILE, ENFILE, ENOMEM, ENOBUFS,
				 ECONNREFUSED, ECONNRESET, ECONNABORTED, EPIPE, ENETDOWN, ENETUNREACH, EHOSTUNREACH})
		{
			CPPUNIT_ASSERT_MESSAGE(std::strerror(error), isTransientErrno(error));
		}
	}

	void testPermanentErrnos()
	{
		for (int error :
			{ENOENT, EACCES, EPERM, EROFS, ENAMETOOLONG, ENOTDIR, EISDIR, ELOOP, EEXIST, EFBIG, EINVAL, EXDEV, EBADF, 0, -1, 100000})
		{
			CPPUNIT_ASSERT_MESSAGE(std::to_string(error), !isTransientErrno(error));
		}
	}

	void testSocketTimeoutIsRetry()
	{
		Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
		Poco::Net::StreamSocket socket(listener.address());
		socket.setReceiveTimeout(Poco::Timespan(0, 50000));
		char byte = 0;
		const ReportResult result = classifiedThrow([&] { socket.receiveBytes(&byte, 1); });
		assertStatus(Status::Retry, result);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("Timeout") != std::string::npos);
	}

	void testConnectionRefusedIsRetry()
	{
		Poco::Net::SocketAddress closed;
		{
			Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
			closed = listener.address();
		}
		assertStatus(Status::Retry, classifiedThrow([&] { Poco::Net::StreamSocket socket(closed); }));
	}

	void testNetErrorsAreRetryWhateverTheirCode()
	{
		// DNS codes are resolver codes (HOST_NOT_FOUND is 1, EPERM's value): never read as errno.
		assertStatus(Status::Retry, classifiedThrow([] { throw Poco::Net::HostNotFoundException("collector.example", 1); }));
		assertStatus(Status::Retry, classifiedThrow([] { throw Poco::Net::ConnectionResetException("reset", ECONNRESET); }));
		assertStatus(Status::Retry, classifiedThrow([] { throw Poco::Net::HTTPException("Cannot establish proxy connection"); }));
		assertStatus(Status::Retry, classifiedThrow([] { throw Poco::Net::MessageException("the connection closed early"); }));
		assertStatus(Status::Retry, classifiedThrow([] { throw Poco::Net::SSLConnectionUnexpectedlyClosedException(); }));
		assertStatus(Status::Retry,
			classifiedThrow([] { throw Poco::Net::SSLException("error:0A000410:SSL routines::sslv3 alert handshake failure"); }));
	}

	void testCertificateAndProxyCredentialFailuresAreFail()
	{
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::Net::CertificateValidationException("Unacceptable certificate"); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::Net::InvalidCertificateException("expired"); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::Net::SSLContextException("cannot load CA file"); }));
		assertStatus(
			Status::Fail, classifiedThrow([] { throw Poco::Net::SSLException("error:0A000086:SSL routines::certificate verify failed"); }));
		assertStatus(
			Status::Fail, classifiedThrow([] { throw Poco::Net::SSLException("error:0A000418:SSL routines::tlsv1 alert unknown ca"); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::Net::NotAuthenticatedException("proxy authentication required"); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::Net::InvalidAddressException("256.0.0.1"); }));
	}

	void testMissingPathIsFail()
	{
		TemporaryDirectory directory;
		// mkdir under a parent that is not there: Poco's FileNotFoundException, ENOENT.
		const ReportResult result = classifiedThrow([&] { Poco::File(directory.file("gone/profiles")).createDirectory(); });
		assertStatus(Status::Fail, result);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find(directory.file("gone/profiles")) != std::string::npos);
	}

	void testFileErrorsWithPermanentErrnoAreFail()
	{
		TemporaryDirectory directory;
		const std::string regular = directory.file("regular");
		writeFile(regular, "x");
		// ENOTDIR, EEXIST, ENAMETOOLONG (PathSyntaxException), EISDIR, from the real calls.
		assertStatus(Status::Fail, classifiedThrow([&] { Poco::File(regular + "/profiles").createDirectory(); }));
		assertStatus(Status::Fail, classifiedThrow([&] { Poco::File(regular).createDirectory(); }));
		assertStatus(Status::Fail, classifiedThrow([&] { Poco::File(directory.file(std::string(300, 'a'))).createDirectory(); }));
		assertStatus(Status::Fail, classifiedThrow([&] { Poco::File(directory.path()).setSize(0); }));
		// As Poco reports EACCES and EROFS (root passes permission checks, so not from a real call here).
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::FileAccessDeniedException("/var/lib/profiles", EACCES); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::FileReadOnlyException("/var/lib/profiles", EROFS); }));
	}

	void testDiskFullIsRetry()
	{
		// /dev/full answers every write with ENOSPC.
		const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
		CPPUNIT_ASSERT(fd >= 0);
		const ssize_t written = ::write(fd, "profile", 7);
		const int error = errno;
		::close(fd);
		CPPUNIT_ASSERT(written < 0 && error == ENOSPC);
		assertStatus(
			Status::Retry, classifiedThrow([&] { throw Poco::FileException("cannot write /dev/full", std::strerror(error), error); }));
		assertStatus(Status::Retry, classifiedThrow([&] { throw Poco::FileException("disk quota exceeded", "/profiles", EDQUOT); }));
		assertStatus(Status::Retry, classifiedThrow([&] { throw Poco::IOException("/profiles", EIO); }));
	}

	void testIoErrorsWithoutErrnoAreRetryUnlessTypedPermanent()
	{
		// The http reporter's token file not written yet; a recording that could not be read.
		assertStatus(Status::Retry, classifiedThrow([] { throw Poco::FileException("bearerTokenFile /run/token cannot be read"); }));
		assertStatus(Status::Retry, classifiedThrow([] { throw Poco::ReadFileException("cannot read recording"); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::FileAccessDeniedException("/var/lib/profiles"); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::FileReadOnlyException("/var/lib/profiles"); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::FileExistsException("/var/lib/profiles"); }));
	}

	void testBadInputIsFail()
	{
		assertStatus(Status::Fail, classifiedThrow([] { Poco::NumberParser::parse("twelve"); }));
		assertStatus(Status::Fail, classifiedThrow([] { Poco::URI("http://[::1/x"); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::InvalidArgumentException("HTTP client: the URL has no host"); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::DataFormatException("not a JFR recording"); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::IllegalStateException("not started"); }));
	}

	void testOutOfMemoryIsRetry()
	{
		// Thrown, not provoked: a sanitizer would stop the test at an impossible allocation.
		assertStatus(Status::Retry, classifiedThrow([] { throw std::bad_alloc(); }));
		assertStatus(Status::Retry, classifiedThrow([] { throw std::bad_array_new_length(); }));
		assertStatus(Status::Retry, classifiedThrow([] { throw Poco::OutOfMemoryException("zip buffer"); }));
	}

	void testStandardLibraryErrorsFollowErrno()
	{
		TemporaryDirectory directory;
		const std::string regular = directory.file("regular");
		writeFile(regular, "x");
		// std::filesystem_error is a std::system_error with the errno of the call.
		assertStatus(Status::Fail, classifiedThrow([&] { std::filesystem::create_directory(directory.file("gone/profiles")); }));
		assertStatus(Status::Fail, classifiedThrow([&] { std::filesystem::create_directories(regular + "/profiles"); }));
		const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
		const std::system_error diskFull = systemErrorOf(static_cast<int>(::write(fd, "x", 1)));
		::close(fd);
		assertStatus(Status::Retry, classifiedThrow([&] { throw diskFull; }));
		assertStatus(Status::Fail, classifiedThrow([] { throw std::system_error(std::make_error_code(std::errc::permission_denied)); }));
		// Other categories are not errno: the one rule (a stream's failure may as well be a parse error).
		assertStatus(Status::Fail, classifiedThrow([&] {
			std::ifstream in;
			in.exceptions(std::ios::failbit);
			in.open(directory.file("missing"));
		}));
		assertStatus(Status::Fail, classifiedThrow([] {
			std::future<int> orphan = std::promise<int>().get_future(); // broken: the promise is gone
			orphan.get();
		}));
	}

	void testEveryOtherExceptionIsFail()
	{
		assertStatus(Status::Fail, classifiedThrow([] { (void)std::string().at(1); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw std::runtime_error("surprise"); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::NotFoundException("key"); }));
		assertStatus(Status::Fail, classifiedThrow([] { throw Poco::SystemException("cannot start thread"); }));
		const ReportResult notStandard = classifiedThrow([] { throw 42; });
		assertStatus(Status::Fail, notStandard);
		CPPUNIT_ASSERT_EQUAL(std::string("upload: an exception that is not a std::exception"), notStandard.message);
		assertStatus(Status::Fail, classifyException(std::exception_ptr(), "upload"));
	}

	void testMessageIsWhatAndDisplayText()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("upload: Timeout: waiting for the collector"),
			classifyException(Poco::TimeoutException("waiting for the collector"), "upload").message);
		CPPUNIT_ASSERT_EQUAL(std::string("upload: surprise"), classifyException(std::runtime_error("surprise"), "upload").message);
		CPPUNIT_ASSERT_EQUAL(std::string("surprise"), classifyException(std::runtime_error("surprise"), "").message);
	}

	void testMessagesNeverCarryUrlCredentials()
	{
		const ReportResult thrown =
			classifyException(Poco::Net::HostNotFoundException("https://user:SECRET@collector.example/ingest and ftp://TOKEN@x/"),
				"upload to http://a:PW@b:9/");
		CPPUNIT_ASSERT_MESSAGE(thrown.message, thrown.message.find("SECRET") == std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(thrown.message, thrown.message.find("TOKEN") == std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(thrown.message, thrown.message.find("PW") == std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(thrown.message, thrown.message.find("https://***@collector.example/ingest") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(thrown.message, thrown.message.find("http://***@b:9/") != std::string::npos);
		const ReportResult status = classifyHttpStatus(401, "put http://user:SECRET@host/x: HTTP 401");
		CPPUNIT_ASSERT_EQUAL(std::string("put http://***@host/x: HTTP 401"), status.message);
		// An @ after the authority is not userinfo.
		CPPUNIT_ASSERT_EQUAL(
			std::string("put http://host/a@b: HTTP 500"), classifyHttpStatus(500, "put http://host/a@b: HTTP 500").message);
	}

	void testReportClassifiedPassesResultsThrough()
	{
		CPPUNIT_ASSERT(reportClassified("upload", [] { return ReportResult::ok(); }).isOk());
		const ReportResult retry = reportClassified("upload", [] { return ReportResult::retry("busy", Poco::Timespan(3, 0)); });
		CPPUNIT_ASSERT(retry.status == Status::Retry && retry.message == "busy" && retry.retryAfter == Poco::Timespan(3, 0));
		const ReportResult fail = reportClassified("upload", [] { return ReportResult::fail("no region"); });
		CPPUNIT_ASSERT(fail.status == Status::Fail && fail.message == "no region");
	}

	void testReportClassifiedMapsWhatItThrows()
	{
		const ReportResult retry = reportClassified("upload", []() -> ReportResult { throw Poco::TimeoutException("slow"); });
		assertStatus(Status::Retry, retry);
		CPPUNIT_ASSERT_EQUAL(std::string("upload: Timeout: slow"), retry.message);
		assertStatus(Status::Fail, reportClassified("upload", []() -> ReportResult { throw std::logic_error("bug"); }));
		assertStatus(Status::Fail, reportClassified("upload", []() -> ReportResult { throw "text"; }));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(ErrorClassificationTest);
