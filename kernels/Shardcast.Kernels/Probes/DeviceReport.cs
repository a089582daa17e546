namespace Shardcast.Kernels.Probes;

/// <summary>One compute device a backend could run on.</summary>
public sealed record DeviceReport(string Name, string Kind, string Vendor, string Version, int ComputeUnits, long GlobalMemoryBytes, long MaxWorkGroupSize);

/// <summary>
/// What one backend found on this machine: its devices, or why it has none (library missing, no device, an error
/// from the driver, named), whether Shardcast can search on it yet, and the libraries it tried, in order.
/// </summary>
public sealed record BackendReport(string Name, bool Searchable, IReadOnlyList<DeviceReport> Devices, string? Unavailable, IReadOnlyList<string> LibrariesTried, string? Note);
