#include "asprof/sdk/ProfileArchive.h"
#include "asprof/sdk/RecordingStream.h"
#include "asprof/sdk/Version.h"
#include "Poco/DateTime.h"
#include "Poco/JSON/Object.h"
#include "Poco/Path.h"
#include "Poco/Zip/Compress.h"
#include <sstream>

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

const std::string ProfileArchive::JFR_ENTRY = "async_profiler_dump_0.jfr";
const std::string ProfileArchive::METADATA_ENTRY = "metadata.json";

namespace {

Poco::JSON::Object::Ptr orderedObject()
{
	return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

Poco::JSON::Object::Ptr toObject(const KeyValueList& list)
{
	Poco::JSON::Object::Ptr object = orderedObject();
	for (const auto& entry : list) object->set(entry.first, entry.second);
	return object;
}

Poco::Int64 epochMillis(const Poco::Timestamp& time)
{
	return time.epochMicroseconds() / 1000;
}

// Poco::Zip deflates at zlib 1 for CL_SUPERFAST (and CL_FAST), 9 for CL_MAXIMUM,
// zlib's default (6) for CL_NORMAL; the header's flags say which.
Poco::Zip::ZipCommon::CompressionLevel zipLevel(ProfileArchive::CompressionLevel level)
{
	switch (level)
	{
	case ProfileArchive::CL_FAST: return Poco::Zip::ZipCommon::CL_SUPERFAST;
	case ProfileArchive::CL_BEST: return Poco::Zip::ZipCommon::CL_MAXIMUM;
	case ProfileArchive::CL_NORMAL: break;
	}
	return Poco::Zip::ZipCommon::CL_NORMAL;
}

} // namespace

std::string ProfileArchive::metadataJson(const Profile& profile)
{
	Poco::JSON::Object::Ptr root = orderedObject();
	// The Rust agent's fields first, same names and units.
	root->set("start", epochMillis(profile.start));
	root->set("end", epochMillis(profile.end));
	root->set("reporting_interval", profile.reportingInterval.totalMilliseconds());
	// Our additions.
	Poco::JSON::Object::Ptr agent = orderedObject();
	agent->set("name", "asprof-agent");
	agent->set("version", ASPROF_VERSION_STRING);
	root->set("agent", agent);
	root->set("pid", profile.pid);
	root->set("seq", static_cast<Poco::UInt64>(profile.seq));
	Poco::JSON::Object::Ptr host = orderedObject();
	host->set("kind", profile.host.kind);
	for (const auto& field : profile.host.fields) host->set(field.first, field.second);
	root->set("host", host);
	root->set("labels", toObject(profile.labels));
	Poco::JSON::Object::Ptr profiler = orderedObject();
	profiler->set("args", profile.profilerArgs);
	root->set("profiler", profiler);

	std::ostringstream out;
	root->stringify(out);
	return out.str();
}

ProfileArchive::CompressionLevel ProfileArchive::readCompressionLevel(const PluginContext& context)
{
	const std::string name = getChoice(context, "compressionLevel", "fast", {"fast", "normal", "best"});
	if (name == "normal") return CL_NORMAL;
	if (name == "best") return CL_BEST;
	return CL_FAST;
}

void ProfileArchive::write(const Profile& profile, std::ostream& out)
{
	write(profile, out, CL_NORMAL);
}

void ProfileArchive::write(const Profile& profile, std::ostream& out, CompressionLevel level)
{
	// Entry times are the profile's end, so the same profile always yields
	// the same bytes (a retried upload is identical).
	Poco::DateTime entryTime(profile.end);
	Poco::Zip::Compress zip(out, true);
	// Deflated as it is read from the recording's file, 64 KiB at a time: no copy of the JFR.
	RecordingInputStream jfr(*profile.recording);
	zip.addFile(jfr, entryTime, Poco::Path(JFR_ENTRY), Poco::Zip::ZipCommon::CM_DEFLATE, zipLevel(level));
	std::stringstream metadata(metadataJson(profile));
	zip.addFile(metadata, entryTime, Poco::Path(METADATA_ENTRY), Poco::Zip::ZipCommon::CM_DEFLATE, zipLevel(level));
	zip.close();
}

std::string ProfileArchive::toString(const Profile& profile)
{
	return toString(profile, CL_NORMAL);
}

std::string ProfileArchive::toString(const Profile& profile, CompressionLevel level)
{
	std::ostringstream out;
	write(profile, out, level);
	return out.str();
}

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof
