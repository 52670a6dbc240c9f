// The checkpoint encoding of the records correlation holds on to (events
// waiting for their final enrichment, incidents still open or already
// reported), shared by the correlator and the sinks that count results.
// Every field, exactly (doubles by bit pattern). Errors stay in the reader.
#pragma once

#include "correlate/results.h"
#include "model/records.h"
#include "stream/state_io.h"

namespace eventlens::correlate {

void save_event(stream::StateWriter& out, const Event& e);
void load_event(stream::StateReader& in, Event& e);

void save_incident(stream::StateWriter& out, const Incident& incident);
void load_incident(stream::StateReader& in, Incident& incident);

}  // namespace eventlens::correlate
