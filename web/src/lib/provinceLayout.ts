// A rough map of Vietnam's 34 provincial units as [column, row] on a 6-column grid, north to
// south, so the tile grid reads like the country. Codes from config/reference/vn-provinces.json.
export const PROVINCE_LAYOUT: Record<string, [number, number]> = {
  '12': [1, 0], '15': [2, 0], '08': [3, 0], '04': [4, 0],
  '11': [0, 1], '14': [1, 1], '25': [2, 1], '19': [3, 1], '20': [4, 1],
  '01': [2, 2], '24': [3, 2], '22': [4, 2],
  '37': [2, 3], '33': [3, 3], '31': [4, 3],
  '38': [2, 4],
  '40': [2, 5],
  '42': [3, 6],
  '44': [3, 7],
  '46': [4, 8],
  '48': [4, 9],
  '51': [4, 10],
  '52': [4, 11],
  '66': [3, 12], '56': [4, 12],
  '68': [3, 13],
  '80': [1, 14], '75': [2, 14], '79': [3, 14],
  '91': [0, 15], '82': [1, 15], '86': [2, 15],
  '96': [0, 16], '92': [1, 16],
};
export const LAYOUT_COLUMNS = 6;
