"""The deterministic demo data set: generators of commands and their sender through the
public gRPC APIs. An application of the kernel (`yinling`), never imported by it or by a
service; `yinling demo` and `yinling up` load it."""
