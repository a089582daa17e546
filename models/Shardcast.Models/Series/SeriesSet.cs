namespace Shardcast.Models.Series;

/// <summary>A series file that could not be read, and why (the reason names the file and, where it has one, the line).</summary>
public sealed record RefusedSeries(string Path, string Reason);

/// <summary>The series of a data set that could be read, and the files that could not.</summary>
public sealed record SeriesSet(IReadOnlyList<TimeSeries> Series, IReadOnlyList<RefusedSeries> Refused);
