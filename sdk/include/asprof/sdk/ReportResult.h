//
// ReportResult.h
//
// The outcome of one Reporter::report() call.
//

#ifndef Asprof_Sdk_ReportResult_INCLUDED
#define Asprof_Sdk_ReportResult_INCLUDED

#include "asprof/sdk/Export.h"
#include "Poco/Timespan.h"
#include <optional>
#include <string>

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

/// Ok: the destination has the profile.
/// Retry: a transient failure (connection error, timeout, 408, 429, 5xx,
///   disk full); the agent retries later, after retryAfter if given.
/// Fail: a permanent failure (other 4xx, bad credentials, payload too
///   large); the agent drops the profile, counts it and logs the message
///   once per distinct cause.
/// message must never contain credentials or tokens.
struct ReportResult
{
	enum class Status
	{
		Ok,
		Retry,
		Fail
	};

	Status status = Status::Ok;
	std::string message;
	std::optional<Poco::Timespan> retryAfter;

	static ReportResult ok()
	{
		return ReportResult();
	}

	static ReportResult retry(const std::string& message, std::optional<Poco::Timespan> retryAfter = std::nullopt)
	{
		return ReportResult{Status::Retry, message, retryAfter};
	}

	static ReportResult fail(const std::string& message)
	{
		return ReportResult{Status::Fail, message, std::nullopt};
	}

	bool isOk() const
	{
		return status == Status::Ok;
	}
};

/// Returns "ok", "retry" or "fail".
inline const char* toString(ReportResult::Status status)
{
	switch (status)
	{
	case ReportResult::Status::Ok: return "ok";
	case ReportResult::Status::Retry: return "retry";
	case ReportResult::Status::Fail: return "fail";
	}
	return "unknown";
}

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof

#endif // Asprof_Sdk_ReportResult_INCLUDED
