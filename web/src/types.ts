/** What the API answers, as the page reads it (DESIGN §12). */

export type TaskType =
  'classification' | 'object_detection' | 'semantic_segmentation' | 'instance_segmentation';
export type Media = 'image' | 'video';
export type ExportType = 'annotations' | 'datasets' | 'both';
export type ExportStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
export type Encryption = 'aes256' | 'zipcrypto';
export type SplitMode = 'random' | 'stable';

export interface Format {
  id: string;
  label: string;
  taskTypes: TaskType[];
  media: Media[];
  maskKinds?: Partial<Record<TaskType, string[]>>;
}

export interface DatasetSummary {
  id: string;
  name: string;
  media: Media;
}

export interface TaskSummary {
  id: string;
  name: string;
  type: TaskType;
  media: Media;
  classes: Array<{ id: number; name: string; parent_id: number | null }>;
  datasets: DatasetSummary[];
}

export interface ProjectTasks {
  project: { id: string; name: string };
  tasks: TaskSummary[];
  datasets: DatasetSummary[];
}

export interface Project {
  id: string;
  name: string;
}

export interface ExportRow {
  id: string;
  name: string;
  task: { id: string; name: string; type: TaskType } | null;
  format: string | null;
  maskKind: string | null;
  type: ExportType;
  status: ExportStatus;
  progress: { done: number; total: number };
  created_at: string;
  finished_at: string | null;
  bytes: number | null;
  download_url?: string;
  error: { code: string; message: string; details: string[] } | null;
  datasetIds?: string[] | null;
  subsets?: Array<{ name: string; percent: number }> | null;
  encryption?: Encryption | null;
  expires_at?: string | null;
  /** The whole record (POST's answer) names the datasets here. */
  request?: {
    datasetIds?: string[];
    split?: { subsets: Array<{ name: string; percent: number }> };
  };
}

export interface ExportRequestBody {
  name?: string;
  type: ExportType;
  taskId?: string;
  format?: string;
  maskKind?: string;
  datasetIds?: string[];
  dateRange?: { from?: string; to?: string };
  split?: { subsets: Array<{ name: string; percent: number }>; seed?: number; mode?: SplitMode };
  password?: string;
  encryption?: Encryption;
}
