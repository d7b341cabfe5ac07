// These tests exercise Unix file-system semantics (modes, links, FIFOs, sparse files) and run on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
