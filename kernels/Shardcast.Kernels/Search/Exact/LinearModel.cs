using System.Globalization;

namespace Shardcast.Kernels.Search.Exact;

/// <summary>
/// A mixed-integer linear model assembled row by row, then written for CBC in free MPS. Small by
/// design (an exact subproblem over a few nodes): plain lists, built once per subproblem.
/// </summary>
internal sealed class LinearModel
{
    private readonly List<double> _lower = [];
    private readonly List<double> _upper = [];
    private readonly List<double> _objective = [];
    private readonly List<bool> _integer = [];
    private readonly List<double> _rowLower = [];
    private readonly List<double> _rowUpper = [];
    private readonly List<(int Row, int Column, double Value)> _entries = [];

    public int Columns => _lower.Count;

    public int Rows => _rowLower.Count;

    public int AddBinary(double cost) => AddColumn(0, 1, cost, true);

    public int AddContinuous(double lower, double upper, double cost) => AddColumn(lower, upper, cost, false);

    private int AddColumn(double lower, double upper, double cost, bool integer)
    {
        _lower.Add(lower);
        _upper.Add(upper);
        _objective.Add(cost);
        _integer.Add(integer);
        return _lower.Count - 1;
    }

    /// <summary>Opens a row lower &lt;= sum &lt;= upper; its terms follow through <see cref="Add"/>.</summary>
    public int AddRow(double lower, double upper)
    {
        if (double.IsNegativeInfinity(lower) && double.IsPositiveInfinity(upper))
        {
            throw new ArgumentException("A row needs a finite side: a row free on both sides constrains nothing.", nameof(upper));
        }

        _rowLower.Add(lower);
        _rowUpper.Add(upper);
        return _rowLower.Count - 1;
    }

    public void Add(int row, int column, double value)
    {
        if (value != 0)
        {
            _entries.Add((row, column, value));
        }
    }

    /// <summary>
    /// Writes the model in free MPS (the "FREE" after the name tells CBC so): rows R0..., columns C0..., integer
    /// columns between markers, every bound explicit. Numbers round-trip, so the solver reads exactly this model.
    /// </summary>
    public void WriteMps(TextWriter writer)
    {
        var c = CultureInfo.InvariantCulture;
        writer.WriteLine("NAME shardcast FREE");
        writer.WriteLine("ROWS");
        writer.WriteLine(" N OBJ");
        for (int r = 0; r < Rows; r++)
        {
            writer.WriteLine($" {RowSense(r)} R{r.ToString(c)}");
        }

        writer.WriteLine("COLUMNS");
        var byColumn = _entries.OrderBy(e => e.Column).ThenBy(e => e.Row).ToArray();
        int next = 0;
        bool inInteger = false;
        for (int column = 0; column < Columns; column++)
        {
            if (_integer[column] != inInteger)
            {
                inInteger = _integer[column];
                writer.WriteLine(inInteger ? " M 'MARKER' 'INTORG'" : " M 'MARKER' 'INTEND'");
            }

            writer.WriteLine(string.Create(c, $" C{column} OBJ {_objective[column]:R}"));
            for (; next < byColumn.Length && byColumn[next].Column == column; next++)
            {
                writer.WriteLine(string.Create(c, $" C{column} R{byColumn[next].Row} {byColumn[next].Value:R}"));
            }
        }

        if (inInteger)
        {
            writer.WriteLine(" M 'MARKER' 'INTEND'");
        }

        writer.WriteLine("RHS");
        for (int r = 0; r < Rows; r++)
        {
            double rhs = RowSense(r) == 'G' ? _rowLower[r] : _rowUpper[r];
            if (rhs != 0)
            {
                writer.WriteLine(string.Create(c, $" RHS R{r} {rhs:R}"));
            }
        }

        writer.WriteLine("RANGES");
        for (int r = 0; r < Rows; r++)
        {
            // An L row with a range R holds [rhs - R, rhs]; the G rows carry their lower side as rhs already.
            if (RowSense(r) == 'L' && !double.IsNegativeInfinity(_rowLower[r]))
            {
                writer.WriteLine(string.Create(c, $" RNG R{r} {_rowUpper[r] - _rowLower[r]:R}"));
            }
        }

        writer.WriteLine("BOUNDS");
        for (int column = 0; column < Columns; column++)
        {
            double lower = _lower[column], upper = _upper[column];
            if (double.IsNegativeInfinity(lower))
            {
                writer.WriteLine(string.Create(c, $" MI BND C{column}"));
            }
            else
            {
                writer.WriteLine(string.Create(c, $" LO BND C{column} {lower:R}"));
            }

            writer.WriteLine(double.IsPositiveInfinity(upper) ? string.Create(c, $" PL BND C{column}") : string.Create(c, $" UP BND C{column} {upper:R}"));
        }

        writer.WriteLine("ENDATA");
    }

    /// <summary>Writes the integer columns' starting values in CBC's solution format, which its mipStart reads by name.</summary>
    public void WriteStart(TextWriter writer, ReadOnlySpan<double> start)
    {
        var c = CultureInfo.InvariantCulture;
        for (int column = 0; column < Columns; column++)
        {
            if (_integer[column])
            {
                writer.WriteLine(string.Create(c, $"{column} C{column} {(column < start.Length ? start[column] : 0):R}"));
            }
        }
    }

    /// <summary>E for an equality, L for a finite upper side (a range when the lower is finite too), G for a lower side only.</summary>
    private char RowSense(int row)
    {
        double lower = _rowLower[row], upper = _rowUpper[row];
        if (lower == upper)
        {
            return 'E';
        }

        return double.IsPositiveInfinity(upper) ? 'G' : 'L';
    }
}
