#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Trains the forecasting LSTM: runs `shardcast train` with the same options (docs/forecasting.md).
.EXAMPLE
    ./train.ps1 -Data data/nab -Out model.bin -TrainingPart
.EXAMPLE
    ./train.ps1 -Data data/nab -Out model.bin -Resume model.bin.ckpt -Epochs 60
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string[]] $Data,
    [Parameter(Mandatory = $true)] [string] $Out,
    [int] $Epochs,
    [int] $Hidden,
    [int] $Layers,
    [int] $Window,
    [int] $Batch,
    [double] $LearningRate,
    [UInt64] $Seed,
    [string] $Resume,
    [string] $Checkpoint,
    [double] $TimeS,
    [int] $Threads,
    [switch] $TrainingPart
)

$ErrorActionPreference = 'Stop'
$arguments = @('run', '--project', (Join-Path $PSScriptRoot 'host/Shardcast.Host'), '-c', 'Release', '--', 'train', '--data') + $Data + @('--out', $Out)
$named = @{ Epochs = '--epochs'; Hidden = '--hidden'; Layers = '--layers'; Window = '--window'; Batch = '--batch';
            LearningRate = '--learning-rate'; Seed = '--seed'; Resume = '--resume'; Checkpoint = '--checkpoint';
            TimeS = '--time-s'; Threads = '--threads' }
foreach ($name in $named.Keys) {
    if ($PSBoundParameters.ContainsKey($name)) {
        $arguments += @($named[$name], [string]::Format([Globalization.CultureInfo]::InvariantCulture, '{0}', $PSBoundParameters[$name]))
    }
}
if ($TrainingPart) { $arguments += '--training-part' }

& dotnet @arguments
exit $LASTEXITCODE
