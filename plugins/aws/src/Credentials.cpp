#include "asprof/plugins/aws/Credentials.h"
#include <typeinfo>

namespace asprof {
namespace plugins {
namespace aws {

POCO_IMPLEMENT_EXCEPTION(CredentialsException, Poco::IOException, "AWS credentials error")

bool Credentials::expiresWithin(const Poco::Timespan& margin, const Poco::Timestamp& now) const
{
	return expiration.has_value() && *expiration < now + margin;
}

CredentialsProvider::~CredentialsProvider()
{
}

void CredentialsProvider::invalidate()
{
}

} // namespace aws
} // namespace plugins
} // namespace asprof
