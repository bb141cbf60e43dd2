//
// ErrorClassification.cpp
//
// Retry or Fail, decided once for every reporter: what goes away by itself is
// retried, everything else is permanent (see the header for the table).
//

#include "asprof/plugins/ErrorClassification.h"
#include "Poco/Exception.h"
#include "Poco/Net/NetException.h"
#include "Poco/String.h"
#include <algorithm>
#include <cerrno>
#include <new>
#include <system_error>

namespace asprof {
namespace plugins {

namespace {

const int TRANSIENT_ERRNOS[] = {ENOSPC, EDQUOT, EIO, EBUSY, ESTALE, EAGAIN, EINTR, ETIMEDOUT, EMFILE, ENFILE, ENOMEM, ENOBUFS, ECONNREFUSED,
	ECONNRESET, ECONNABORTED, EPIPE, ENETDOWN, ENETUNREACH, EHOSTUNREACH};

// Messages quote URLs from exceptions we did not write: never their userinfo.
std::string withoutUserInfo(std::string text)
{
	const std::string separator = "://";
	for (std::size_t scheme = text.find(separator); scheme != std::string::npos; scheme = text.find(separator, scheme + 1))
	{
		const std::size_t begin = scheme + separator.size();
		const std::size_t end = std::min(text.find_first_of("/?#\"' \t\r\n", begin), text.size());
		const std::size_t at = text.rfind('@', end == 0 ? 0 : end - 1);
		if (at == std::string::npos || at < begin || at >= end) continue;
		text.replace(begin, at - begin, "***");
	}
	return text;
}

std::string joined(const std::string& what, const std::string& text)
{
	return withoutUserInfo(what.empty() ? text : what + ": " + text);
}

// NetSSL's exceptions are recognised by their type's name, so that plugins
// without TLS (local, multi) need not load libPocoNetSSL and OpenSSL for this.
bool isCertificateFailure(const Poco::Net::NetException& error)
{
	const std::string type = error.className(); // mangled, e.g. N4Poco3Net28CertificateValidationExceptionE
	auto named = [&](const char* name) { return type.find(name) != std::string::npos; };
	if (named("CertificateValidationException") || named("InvalidCertificateException") || named("SSLContextException")) return true;
	if (!named("SSL")) return false;
	// OpenSSL's reasons: "certificate verify failed" (ours), "alert bad certificate",
	// "alert unknown ca", "alert certificate required" (the server refusing our client certificate).
	const std::string text = Poco::toLower(error.displayText());
	return text.find("certificate") != std::string::npos || text.find("unknown ca") != std::string::npos;
}

bool isTransientNetError(const Poco::Net::NetException& error)
{
	// Socket errors carry errno values, DNS errors resolver codes: the type decides, not code().
	return !isCertificateFailure(error) && !dynamic_cast<const Poco::Net::NotAuthenticatedException*>(&error) &&
		!dynamic_cast<const Poco::Net::InvalidAddressException*>(&error);
}

bool isTransientIoError(const Poco::IOException& error)
{
	if (error.code() != 0) return isTransientErrno(error.code()); // Poco's file errors carry errno
	return !dynamic_cast<const Poco::FileAccessDeniedException*>(&error) && !dynamic_cast<const Poco::FileReadOnlyException*>(&error) &&
		!dynamic_cast<const Poco::FileExistsException*>(&error);
}

bool isTransient(const Poco::Exception& error)
{
	if (const auto* net = dynamic_cast<const Poco::Net::NetException*>(&error)) return isTransientNetError(*net);
	if (const auto* io = dynamic_cast<const Poco::IOException*>(&error)) return isTransientIoError(*io);
	return dynamic_cast<const Poco::TimeoutException*>(&error) || dynamic_cast<const Poco::OutOfMemoryException*>(&error);
}

bool isTransient(const std::exception& error)
{
	if (const auto* poco = dynamic_cast<const Poco::Exception*>(&error)) return isTransient(*poco);
	if (dynamic_cast<const std::bad_alloc*>(&error)) return true;
	if (const auto* system = dynamic_cast<const std::system_error*>(&error))
	{
		const std::error_category& category = system->code().category();
		return (category == std::generic_category() || category == std::system_category()) && isTransientErrno(system->code().value());
	}
	return false; // the one rule: what is not known to be transient is permanent
}

} // namespace

sdk::ReportResult classifyHttpStatus(int status, const std::string& message, std::optional<Poco::Timespan> retryAfter)
{
	if (status >= 200 && status < 300) return sdk::ReportResult::ok();
	if (status == 408 || status == 429 || (status >= 500 && status < 600))
		return sdk::ReportResult::retry(withoutUserInfo(message), retryAfter);
	return sdk::ReportResult::fail(withoutUserInfo(message));
}

bool isTransientErrno(int error)
{
	return std::find(std::begin(TRANSIENT_ERRNOS), std::end(TRANSIENT_ERRNOS), error) != std::end(TRANSIENT_ERRNOS);
}

sdk::ReportResult classifyException(const std::exception& error, const std::string& what)
{
	const auto* poco = dynamic_cast<const Poco::Exception*>(&error);
	const std::string message = joined(what, poco ? poco->displayText() : std::string(error.what()));
	return isTransient(error) ? sdk::ReportResult::retry(message) : sdk::ReportResult::fail(message);
}

sdk::ReportResult classifyException(std::exception_ptr error, const std::string& what)
{
	if (!error) return sdk::ReportResult::fail(joined(what, "no exception"));
	try
	{
		std::rethrow_exception(error);
	}
	catch (const std::exception& thrown)
	{
		return classifyException(thrown, what);
	}
	catch (...)
	{
		return sdk::ReportResult::fail(joined(what, "an exception that is not a std::exception"));
	}
}

} // namespace plugins
} // namespace asprof
