/**
 * Seeded text for synthetic speech: English sentences from a small grammar (covering every
 * English phoneme many times, bilabials included), and pseudo-words for other languages built
 * from each language's spelling habits, which espeak pronounces by that language's rules.
 */

const SUBJECTS = [
  'the old man',
  'my brother',
  'a young woman',
  'the teacher',
  'our neighbour',
  'the pilot',
  'every child',
  'the baker',
  'a famous poet',
  'the doctor',
  'my mother',
  'the farmer',
  'your friend Paul',
  'Maria',
  'the big bear',
  'a tiny mouse',
  'the police officer',
  'Bob',
  'the museum guide',
  'the whole team',
  'nobody',
  'the fisherman',
  'my boss',
  'the builder',
];
const VERBS = [
  'bought',
  'painted',
  'moved',
  'found',
  'opened',
  'watched',
  'brought',
  'measured',
  'pushed',
  'played with',
  'borrowed',
  'visited',
  'repaired',
  'described',
  'remembered',
  'washed',
  'picked up',
  'threw away',
  'believed in',
  'imagined',
  'chose',
  'examined',
  'mapped',
  'baked',
];
const ADJECTIVES = [
  'blue',
  'heavy',
  'beautiful',
  'purple',
  'broken',
  'smooth',
  'warm',
  'empty',
  'bright',
  'cheap',
  'perfect',
  'yellow',
  'famous',
  'brown',
  'massive',
  'thin',
  'quiet',
  'modern',
  'bumpy',
  'shiny',
];
const OBJECTS = [
  'map',
  'boat',
  'piano',
  'window',
  'umbrella',
  'book',
  'bottle of milk',
  'pumpkin pie',
  'mirror',
  'bicycle',
  'machine',
  'puzzle',
  'telephone',
  'basket of apples',
  'jacket',
  'ship',
  'mountain bike',
  'camera',
  'wooden box',
  'bag of potatoes',
  'orange',
  'album',
  'picture',
  'zoo ticket',
  'vase',
];
const PLACES = [
  'in Boston',
  'by the river',
  'at the market',
  'near the bridge',
  'in the morning',
  'before lunch',
  'on Monday',
  'in the garden',
  'under the table',
  'after the movie',
  'behind the museum',
  'at midnight',
  'in Paris',
  'by the beach',
  'during the storm',
  'in the big city',
];
const OPENERS = [
  'Well,',
  'Maybe',
  'Honestly,',
  'By the way,',
  'Yesterday',
  'Of course',
  'Believe me,',
  'Look,',
  'Oh,',
  'Perhaps',
  'So',
  'Please remember that',
];
const QUESTIONS = [
  'Why did you move the map?',
  'Who brought the pumpkin pie?',
  'Where is the blue boat?',
  'What time is it?',
  'How much was the bicycle?',
  'Can you help me, please?',
  'Is that your umbrella?',
  'Would you like more milk?',
  'Are we meeting at the museum?',
  'Did Bob pay for the ticket?',
];
const NUMBERS = [
  'one',
  'two',
  'three',
  'four',
  'five',
  'seven',
  'nine',
  'twelve',
  'fifty',
  'a hundred',
];

/** Per-language syllable material (Latin-script spellings the language's rules read naturally). */
const SYLLABLES: Record<string, { onsets: string[]; nuclei: string[]; codas: string[] }> = {
  fr: {
    onsets: [
      'b',
      'p',
      'm',
      'f',
      'v',
      't',
      'd',
      'n',
      'l',
      's',
      'ch',
      'j',
      'r',
      'gr',
      'pl',
      'br',
      'qu',
      'v',
      '',
    ],
    nuclei: ['a', 'e', 'i', 'o', 'ou', 'u', 'é', 'è', 'on', 'an', 'in', 'eau', 'oi'],
    codas: ['', '', '', 'r', 'l', 'm', 's', 'te'],
  },
  de: {
    onsets: [
      'b',
      'p',
      'm',
      'f',
      'w',
      't',
      'd',
      'n',
      'l',
      's',
      'sch',
      'z',
      'k',
      'g',
      'h',
      'pf',
      'st',
      'br',
      '',
    ],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'ä', 'ö', 'ü', 'ei', 'au', 'ie', 'eu'],
    codas: ['', 'n', 'r', 'l', 'm', 'st', 'cht', 'b', 'ng', 's'],
  },
  es: {
    onsets: [
      'b',
      'p',
      'm',
      'f',
      'v',
      't',
      'd',
      'n',
      'l',
      's',
      'ch',
      'j',
      'r',
      'll',
      'c',
      'g',
      'pr',
      'bl',
      '',
    ],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'ue', 'ie', 'ai'],
    codas: ['', '', 'n', 's', 'l', 'r'],
  },
  it: {
    onsets: [
      'b',
      'p',
      'm',
      'f',
      'v',
      't',
      'd',
      'n',
      'l',
      's',
      'c',
      'g',
      'r',
      'pp',
      'bb',
      'mm',
      'tt',
      'z',
      '',
    ],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'ia', 'uo'],
    codas: ['', '', '', 'n', 'l', 'r'],
  },
  pt: {
    onsets: ['b', 'p', 'm', 'f', 'v', 't', 'd', 'n', 'l', 's', 'ch', 'j', 'r', 'lh', 'nh', 'c', ''],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'ão', 'ei', 'ou', 'õe'],
    codas: ['', '', 's', 'r', 'l', 'm'],
  },
  nl: {
    onsets: ['b', 'p', 'm', 'f', 'v', 'w', 't', 'd', 'n', 'l', 's', 'z', 'k', 'g', 'h', 'sch', ''],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'aa', 'ee', 'oo', 'ij', 'ui', 'oe'],
    codas: ['', 'n', 'r', 'l', 'm', 'k', 'p', 't', 's'],
  },
  pl: {
    onsets: [
      'b',
      'p',
      'm',
      'f',
      'w',
      't',
      'd',
      'n',
      'l',
      's',
      'sz',
      'cz',
      'rz',
      'k',
      'g',
      'ch',
      'prz',
      '',
    ],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'y', 'ą', 'ę', 'ó'],
    codas: ['', '', 'm', 'n', 'k', 'sz', 'ć', 'ł'],
  },
  sv: {
    onsets: ['b', 'p', 'm', 'f', 'v', 't', 'd', 'n', 'l', 's', 'sj', 'k', 'g', 'h', 'st', ''],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'y', 'å', 'ä', 'ö'],
    codas: ['', 'n', 'r', 'l', 'm', 'k', 'tt', 'ng'],
  },
  fi: {
    onsets: ['p', 'm', 'v', 't', 'd', 'n', 'l', 's', 'k', 'h', 'j', 'r', ''],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'y', 'ä', 'ö', 'aa', 'ii', 'uo'],
    codas: ['', '', 'n', 's', 't', 'l'],
  },
  hu: {
    onsets: ['b', 'p', 'm', 'f', 'v', 't', 'd', 'n', 'l', 's', 'sz', 'cs', 'zs', 'k', 'g', 'h', ''],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'á', 'é', 'ö', 'ü', 'ó'],
    codas: ['', 'n', 'r', 'l', 'm', 'k', 't', 'sz'],
  },
  cs: {
    onsets: ['b', 'p', 'm', 'f', 'v', 't', 'd', 'n', 'l', 's', 'š', 'č', 'ř', 'k', 'h', 'ch', ''],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'á', 'í', 'ů', 'ě'],
    codas: ['', '', 'm', 'n', 'k', 'st', 'l'],
  },
  ro: {
    onsets: ['b', 'p', 'm', 'f', 'v', 't', 'd', 'n', 'l', 's', 'ș', 'ț', 'c', 'g', 'r', ''],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'ă', 'î', 'ea', 'oa'],
    codas: ['', '', 'n', 'r', 'l', 'm', 't'],
  },
  id: {
    onsets: ['b', 'p', 'm', 't', 'd', 'n', 'l', 's', 'k', 'g', 'j', 'c', 'ng', 'ny', 'r', 'w', ''],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'ai', 'au'],
    codas: ['', '', 'n', 'ng', 'k', 't', 'r', 'm'],
  },
  tr: {
    onsets: ['b', 'p', 'm', 'f', 'v', 't', 'd', 'n', 'l', 's', 'ş', 'ç', 'k', 'g', 'y', 'r', ''],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'ı', 'ö', 'ü'],
    codas: ['', 'n', 'r', 'l', 'm', 'k', 't', 'z'],
  },
  sw: {
    onsets: ['b', 'p', 'm', 'mb', 'nd', 't', 'd', 'n', 'l', 's', 'ch', 'k', 'w', 'j', 'ny', ''],
    nuclei: ['a', 'e', 'i', 'o', 'u'],
    codas: [''],
  },
  en: {
    onsets: [
      'b',
      'p',
      'm',
      'f',
      'v',
      'th',
      't',
      'd',
      'n',
      'l',
      's',
      'sh',
      'ch',
      'j',
      'k',
      'g',
      'w',
      'r',
      'pl',
      'br',
      'st',
      '',
    ],
    nuclei: ['a', 'e', 'i', 'o', 'u', 'ee', 'oo', 'ai', 'ow', 'oy', 'ar', 'or'],
    codas: ['', 'n', 'm', 'p', 'b', 't', 'ck', 'sh', 'st', 'l', 'mp', 'nd'],
  },
};

export const PSEUDO_LANGUAGES = Object.keys(SYLLABLES);

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;

/** One English sentence from the grammar (statements, questions, lists, numbers). */
export function englishSentence(rng: Rng): string {
  const r = rng();
  if (r < 0.15) return pick(rng, QUESTIONS);
  const subject = pick(rng, SUBJECTS);
  const object = `${pick(rng, ADJECTIVES)} ${pick(rng, OBJECTS)}`;
  const article = /^[aeiou]/.test(object) ? 'an' : 'a';
  let s = `${subject} ${pick(rng, VERBS)} ${rng() < 0.5 ? 'the' : article} ${object}`;
  if (rng() < 0.6) s += ` ${pick(rng, PLACES)}`;
  if (rng() < 0.25) s = `${pick(rng, OPENERS)} ${s}`;
  if (rng() < 0.2) s += `, and then ${pick(rng, NUMBERS)} more`;
  if (rng() < 0.15) s += `, but ${pick(rng, SUBJECTS)} ${pick(rng, VERBS)} it ${pick(rng, PLACES)}`;
  s = s.charAt(0).toUpperCase() + s.slice(1);
  return `${s}${rng() < 0.1 ? '!' : '.'}`;
}

/** A sentence of pseudo-words for `language` (one of {@link PSEUDO_LANGUAGES}). */
export function pseudoSentence(rng: Rng, language: string): string {
  const syl = SYLLABLES[language] ?? (SYLLABLES.en as (typeof SYLLABLES)['en']);
  const words: string[] = [];
  const count = 3 + Math.floor(rng() * 7);
  for (let w = 0; w < count; w++) {
    let word = '';
    const syllables = 1 + Math.floor(rng() * 3);
    for (let s = 0; s < syllables; s++) {
      word += pick(rng, syl.onsets) + pick(rng, syl.nuclei);
      if (s === syllables - 1 || rng() < 0.3) word += pick(rng, syl.codas);
    }
    words.push(word);
  }
  const text = words.join(rng() < 0.2 ? ', ' : ' ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${rng() < 0.15 ? '?' : '.'}`;
}
