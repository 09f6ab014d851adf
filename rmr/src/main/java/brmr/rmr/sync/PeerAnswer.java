package brmr.rmr.sync;

import brmr.rmr.adapter.StoreParams;

/** A peer's answer to a store-parameter query: its session name and its store (null when it has none). */
public record PeerAnswer(String peer, StoreParams params) {
}
