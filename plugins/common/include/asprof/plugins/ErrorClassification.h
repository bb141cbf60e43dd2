//
// ErrorClassification.h
//
// The one place that says which failures a reporter retries and which it
// gives up on: HTTP statuses, errno values and exceptions. Every reporter
// plugin classifies through here; none keeps a rule of its own.
//

#ifndef Asprof_Plugins_ErrorClassification_INCLUDED
#define Asprof_Plugins_ErrorClassification_INCLUDED

#include "asprof/sdk/ReportResult.h"
#include "Poco/Timespan.h"
#include <exception>
#include <optional>
#include <string>

namespace asprof {
namespace plugins {

/// 2xx: Ok (message and retryAfter dropped).
/// 408 Request Timeout, 429 Too Many Requests, 5xx: Retry with message and
/// retryAfter (the server says when, or the agent's backoff decides).
/// Anything else: Fail with message: the other 4xx (bad request, 401/403
/// bad credentials, 404, 413 payload too large, 422) do not change by
/// sending the same request again, and neither do 1xx/3xx (redirects are
/// not followed) or statuses outside 100-599.
/// The message has URL userinfo ("//user:secret@") replaced by "//***@".
sdk::ReportResult classifyHttpStatus(int status, const std::string& message, std::optional<Poco::Timespan> retryAfter = std::nullopt);

/// True for errno values that go away by themselves, so a retry can succeed:
///   ENOSPC, EDQUOT   space or quota is freed
///   EIO, EBUSY, ESTALE   a device or NFS hiccup; the next open is fresh
///   EAGAIN, EINTR, ETIMEDOUT   try again
///   EMFILE, ENFILE, ENOMEM, ENOBUFS   descriptors or memory are released
///   ECONNREFUSED, ECONNRESET, ECONNABORTED, EPIPE, ENETDOWN, ENETUNREACH,
///   EHOSTUNREACH   the network
/// Every other value is permanent: EACCES, EPERM (permissions), EROFS (read-only
/// file system), ENAMETOOLONG, ENOTDIR, EISDIR, ELOOP, EEXIST, EFBIG, EINVAL, ...:
/// configuration or the file system's state, which retrying cannot change.
/// ENOENT too: a reporter re-creates what it owns before it gives up (the
/// local reporter its directory), so a path still missing (a dangling symbolic
/// link, a missing mount) stays missing.
bool isTransientErrno(int error);

/// Retry or Fail for an exception a reporter caught; never Ok. The message is
/// "<what>: <text>", text being displayText() for a Poco::Exception and what()
/// for the others, with URL userinfo replaced by "***" (what must not hold
/// credentials either: name URLs without userinfo and query).
///
/// Retry (transient):
///   Poco::TimeoutException
///   Poco::Net::NetException: connection refused/reset/aborted, DNS failures,
///     a proxy's refused CONNECT (HTTPException), TLS handshake errors,
///     a response cut short (MessageException), ...; except those under Fail
///   Poco::IOException (Poco::FileException, ...) whose code() is an errno
///     for which isTransientErrno() is true, or without an errno (code() 0:
///     a Poco stream that failed, the http reporter's token file not there
///     yet), unless its type says permissions, read-only or already there (below)
///     (aws::CredentialsException is one: no credentials found or fetched yet)
///   std::system_error of the generic or system category whose errno
///     isTransientErrno() (std::filesystem::filesystem_error among them)
///   std::bad_alloc, Poco::OutOfMemoryException: memory may be available later
/// Fail (permanent):
///   certificate failures: Poco::Net::CertificateValidationException (e.g. a
///     host-name mismatch), InvalidCertificateException, SSLContextException,
///     and SSLExceptions whose reason mentions a certificate or an unknown CA
///     (our verification, or the server refusing our client certificate);
///     with TLS 1.3 such a refusal may only be seen as a reset (Retry)
///   Poco::Net::NotAuthenticatedException (bad proxy credentials) and
///     InvalidAddressException (a malformed address)
///   Poco::IOException with a permanent errno (EACCES, EROFS, ENOTDIR, ...),
///     or without one but typed FileAccessDeniedException, FileReadOnlyException
///     or FileExistsException
///   Poco::InvalidArgumentException, DataFormatException, SyntaxException
///     (PathSyntaxException: ENAMETOOLONG) and every other Poco::LogicException
///     and Poco::DataException: bad input or a bug, the same next time
///   THE ONE RULE for everything else (other Poco::Exceptions, other
///   std::exceptions, std::system_error of other categories such as
///   std::ios_base::failure, which may be a parse error as well): Fail. Only a
///   failure known to be transient is retried; an unforeseen one is counted and
///   logged once instead of retried forever, as the agent treats an exception
///   that escapes report().
sdk::ReportResult classifyException(const std::exception& error, const std::string& what);

/// As above for std::exceptions; anything else thrown (an int, a string, a
/// type of its own) is Fail: "<what>: an exception that is not a
/// std::exception". Use it in catch (...) with std::current_exception().
sdk::ReportResult classifyException(std::exception_ptr error, const std::string& what);

/// Returns attempt()'s ReportResult, or classifyException() of whatever
/// attempt() throws: the body of a reporter's report().
template <class Attempt>
sdk::ReportResult reportClassified(const std::string& what, Attempt&& attempt)
{
	try
	{
		return attempt();
	}
	catch (...)
	{
		return classifyException(std::current_exception(), what);
	}
}

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_ErrorClassification_INCLUDED
