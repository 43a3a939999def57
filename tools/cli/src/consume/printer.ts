/** Turns consumed records into output text: JSON lines, or the `-f` template. */
import type { ConsumerMessage } from '@tributary/client';
import type { Encoding } from '../format/bytes.ts';
import { recordJsonLine } from '../format/record-json.ts';
import { renderTemplate, type Template } from '../format/template.ts';

export type Printer = (message: ConsumerMessage) => string;

export function createPrinter(template: Template | undefined, encoding: Encoding): Printer {
  if (template === undefined) return (message) => recordJsonLine(message, encoding);
  return (message) => renderTemplate(template, message, encoding);
}
