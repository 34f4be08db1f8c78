// Package codec is the payload codec Lazarus writes with: it compresses
// the payloads that Temporal stores (workflow inputs and results, activity
// inputs and results, memos, continue-as-new inputs) when they are large
// enough for it to pay, with zlib, and it gives the data converter that the
// client and the worker use (DataConverter; ForClient with the temporal
// CLI's --codec-endpoint), the codec for a codec server (Codec), and the
// order in which a remote codec goes with it (WithRemote: compression
// first).
//
// Why: a batch's compiled plan and site list ride in every child's start
// event and every continue-as-new; they are JSON with the same keys again
// and again, and shrink several times over (see codec_test.go for the
// ratios). Payloads below MinSize stay plain JSON, readable in the Web UI
// and the temporal CLI without a codec server.
//
// What it must never do:
//   - encrypt, or hold or fetch a key: it is compression only, and anyone
//     who can read the history can read the payloads (a remote codec, given
//     with WithRemote, is where encryption belongs);
//   - fail to decode a payload it did not encode: payloads written before
//     the codec (plain json/plain) and payloads of any other encoding pass
//     through Decode unchanged;
//   - change the encoding of a kind of payload that histories already hold
//     (the "binary/zlib" of this codec) without a decode path for the old
//     one: running workflows replay their history, and `lazarus report`
//     reads batches months old;
//   - be used to read search attributes: Temporal never passes them through
//     a codec (the server indexes them), so they are read with
//     converter.GetDefaultDataConverter().
package codec
