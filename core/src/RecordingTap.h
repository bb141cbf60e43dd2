//
// RecordingTap.h
//
// Lets the endpoint see the recordings the control thread hands to delivery.
//

#ifndef Asprof_Agent_RecordingTap_INCLUDED
#define Asprof_Agent_RecordingTap_INCLUDED

#include "ProfilingLoop.h"
#include "asprof/jfr/Input.h"
#include "Poco/Mutex.h"
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace asprof {
namespace agent {

/// Sits between the ProfilingLoop and Delivery: every finished
/// recording goes on to delivery unchanged, and is also shared (the
/// same anonymous file, reference-counted, never copied) with
///   - the open capture of a profile window, if any, and
///   - an observer (the live heap's feed), if one is set.
/// Both take it without blocking: accept() runs on the control thread.
class RecordingTap: public RecordingSink
{
public:
	using Observer = std::function<void(const FinishedRecording&)>;

	explicit RecordingTap(RecordingSink& next);

	void accept(FinishedRecording&& finished) override;

	/// Called on the control thread with every recording; must return
	/// at once. Set before the loop starts.
	void setObserver(Observer observer);

	/// Keeps every recording handed off from now on, until endCapture().
	/// One capture at a time (the endpoint serialises windows).
	void beginCapture();

	/// The recordings kept since beginCapture(), in hand-off order. At
	/// most MAX_CAPTURED are kept (each holds a descriptor and its file);
	/// *overflowed says whether more came (the window is then incomplete
	/// and must not be answered).
	std::vector<FinishedRecording> endCapture(bool* overflowed = nullptr);

	static constexpr std::size_t MAX_CAPTURED = 64;

private:
	RecordingSink& _next;
	Observer _observer;
	Poco::FastMutex _mutex;
	bool _capturing = false;                  // _mutex
	std::vector<FinishedRecording> _captured; // _mutex
	bool _overflowed = false;                 // _mutex
};

/// The recording's anonymous file as a jfr::Input with a descriptor of
/// its own (pread only: delivery may read the same file meanwhile).
/// Throws Poco::Exception.
jfr::Input openForReading(const FinishedRecording& finished);

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_RecordingTap_INCLUDED
