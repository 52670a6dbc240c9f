#include "kafka/group_metadata.h"

#include "kafka/rdkafka_handles.h"

namespace eventlens::kafka {

GroupMetadata::GroupMetadata(std::unique_ptr<Native> native) : native_(std::move(native)) {}
GroupMetadata::GroupMetadata(GroupMetadata&&) noexcept = default;
GroupMetadata& GroupMetadata::operator=(GroupMetadata&&) noexcept = default;
GroupMetadata::~GroupMetadata() = default;

}  // namespace eventlens::kafka
