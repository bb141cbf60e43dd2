#include "asprof/jfr/JfrError.h"
#include <typeinfo>

namespace asprof {
namespace jfr {

namespace {

std::string describe(const std::string& input, int chunk, std::uint64_t offset, const std::string& problem)
{
	if (chunk <= 0) return input + ": " + problem;
	return input + ": chunk " + std::to_string(chunk) + " at byte " + std::to_string(offset) + ": " + problem;
}

} // namespace

JfrError::JfrError(const std::string& input, int chunk, std::uint64_t offset, const std::string& problem):
	Poco::DataFormatException(describe(input, chunk, offset, problem)),
	_input(input),
	_chunk(chunk),
	_offset(offset),
	_problem(problem)
{
}

JfrError::JfrError(const JfrError& other) = default;

JfrError::~JfrError() noexcept = default;

JfrError& JfrError::operator=(const JfrError& other) = default;

const char* JfrError::name() const noexcept
{
	return "JFR error";
}

const char* JfrError::className() const noexcept
{
	return typeid(*this).name();
}

Poco::Exception* JfrError::clone() const
{
	return new JfrError(*this);
}

void JfrError::rethrow() const
{
	throw *this;
}

const std::string& JfrError::input() const
{
	return _input;
}

int JfrError::chunk() const
{
	return _chunk;
}

std::uint64_t JfrError::offset() const
{
	return _offset;
}

const std::string& JfrError::problem() const
{
	return _problem;
}

} // namespace jfr
} // namespace asprof
