export { Badge, EmptyState, ErrorBox, Fields, Loading, Section, Table, type Column } from './ui';
export { Layout, LangSwitch } from './Layout';
export { useApi, useNow, useStream, useStreamEvents, type ApiState } from './hooks';
