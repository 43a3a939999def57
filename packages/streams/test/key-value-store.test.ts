import test from 'ava';
import { Serdes } from '../src/index.ts';
import { KeyValueStore } from '../src/state/key-value-store.ts';

test('keys with different bytes stay apart even when === says they are equal (0 and -0)', (t) => {
  const store = new KeyValueStore<number, string>('numbers', Serdes.number(), Serdes.string());
  store.put(0, 'zero');
  store.put(-0, 'negative zero');
  t.is(store.get(0), 'zero');
  t.is(store.get(-0), 'negative zero');
  t.is(store.approximateNumEntries(), 2);
});

test('the remembered key is not confused with a different key', (t) => {
  const store = new KeyValueStore<string, number>('words', Serdes.string(), Serdes.number());
  store.put('a', 1);
  store.put('b', 2);
  t.is(store.get('a'), 1);
  t.is(store.get('b'), 2);
  store.put('a', 3);
  t.deepEqual(
    store.all().map((e) => [e.key, e.value]),
    [
      ['a', 3],
      ['b', 2],
    ],
  );
});
