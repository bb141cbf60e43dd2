//
// ThreadName.h
//
// Names the threads the agent starts through libraries (Poco's Timer and
// HTTPServer start theirs without a name the user would recognise).
//

#ifndef Asprof_Agent_ThreadName_INCLUDED
#define Asprof_Agent_ThreadName_INCLUDED

#include <string>

namespace asprof {
namespace agent {

/// Gives the calling thread another name (at most 15 characters) for
/// the scope and restores the old one: a thread inherits its creator's
/// name on Linux, so the threads a library starts meanwhile carry it,
/// and so do the ones those threads start later (a server's pool).
class ThreadNameScope
{
public:
	explicit ThreadNameScope(const char* name) noexcept;
	~ThreadNameScope();

	ThreadNameScope(const ThreadNameScope&) = delete;
	ThreadNameScope& operator=(const ThreadNameScope&) = delete;

private:
	char _previous[16];
	bool _saved;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_ThreadName_INCLUDED
