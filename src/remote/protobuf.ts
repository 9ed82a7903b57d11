// The protobuf codec lives in model/ (the protobuf exposition format uses it too); this name stays for
// the remote code's tests.
export * from '../model/protobuf.js';
