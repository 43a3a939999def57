/** The command line that runs a TypeScript file in a fresh Node process (no build step). */
const tsxLoader = import.meta.resolve('tsx');

export function typeScriptCommand(scriptPath: string, args: readonly string[] = []): string[] {
  return [process.execPath, '--import', tsxLoader, scriptPath, ...args];
}
