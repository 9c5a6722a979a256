import { Command, CommanderError } from 'commander'
import { exitCodeFor, SluiceError } from '../schemas/errors.ts'
import { registerApply } from './commands/apply.ts'
import { registerAudit } from './commands/audit.ts'
import { registerEvaluate } from './commands/evaluate.ts'
import { registerIngest } from './commands/ingest.ts'
import { registerKafka } from './commands/kafka.ts'
import { registerLake } from './commands/lake.ts'
import { registerQuality } from './commands/quality.ts'
import { registerRun } from './commands/run.ts'
import { registerSql } from './commands/sql.ts'
import { registerTokenizer } from './commands/tokenizer.ts'
import { registerTopics } from './commands/topics.ts'
import { registerTrain } from './commands/train.ts'
import { registerWorker } from './commands/worker.ts'

export function buildProgram (): Command {
  const program = new Command('sluice')
    .description('Sluice: a stream-processing data lake for LLM pre-training data (Kafka in, Parquet lake out)')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
  registerRun(program)
  registerIngest(program)
  registerWorker(program)
  registerApply(program)
  registerSql(program)
  registerAudit(program)
  registerEvaluate(program)
  registerQuality(program)
  registerTokenizer(program)
  registerTrain(program)
  registerLake(program)
  registerTopics(program)
  registerKafka(program)
  return program
}

export async function main (argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv)
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode
      return
    }
    if (err instanceof SluiceError) {
      process.stderr.write(`sluice: error [${err.code}]: ${err.message}\n`)
    } else {
      process.stderr.write(`sluice: unexpected error: ${(err as Error).stack ?? String(err)}\n`)
    }
    process.exitCode = exitCodeFor(err)
  }
}
